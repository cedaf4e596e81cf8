import qrcode from 'qrcode-generator';

/**
 * A QR code for a terminal: two modules per character cell (upper half block, foreground for the
 * upper module, background for the lower), with explicit black and white so it scans on dark and
 * light themes alike, inside the 4-module quiet zone scanners need.
 */
export function terminalQr(text: string): string {
  const qr = qrcode(0, 'L');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const dark = (r: number, c: number) => r >= 0 && c >= 0 && r < n && c < n && qr.isDark(r, c);
  const lines: string[] = [];
  for (let r = -quiet; r < n + quiet; r += 2) {
    let line = '';
    for (let c = -quiet; c < n + quiet; c++) {
      const fg = dark(r, c) ? '30' : '97';
      const bg = dark(r + 1, c) ? '40' : '107';
      line += `\u001b[${fg};${bg}m▀`;
    }
    lines.push(`${line}\u001b[0m`);
  }
  return lines.join('\n');
}
