import { LAMPORTS_PER_SOL } from './base58.js';

/** Numbers as a person reads them in chat. */

export function sol(lamports: number | bigint, digits = 4): string {
  const n = Number(lamports) / LAMPORTS_PER_SOL;
  const s = Math.abs(n) >= 1000 ? n.toFixed(2) : n.toFixed(digits);
  return `${s.replace(/\.?0+$/, '') || '0'} SOL`;
}

export function signedSol(lamports: number): string {
  return `${lamports >= 0 ? '+' : '-'}${sol(Math.abs(lamports))}`;
}

export function pct(n: number): string {
  return `${n >= 0 ? '+' : ''}${(Math.round(n * 100) / 100).toFixed(2)}%`;
}

/** A price in SOL per token, with enough significant digits for memecoin prices. */
export function price(p: number): string {
  if (!Number.isFinite(p) || p <= 0) return '?';
  return p >= 1 ? p.toFixed(4) : p.toPrecision(4);
}

/** Basis points as a percentage: 150 -> "1.5%". */
export function bps(n: number): string {
  return `${n / 100}%`;
}

export function tokens(amount: bigint, decimals: number): string {
  const n = Number(amount) / 10 ** decimals;
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(2)}M` : n >= 1000 ? n.toFixed(0) : n.toPrecision(4);
}

export function shortMint(mint: string): string {
  return `${mint.slice(0, 4)}…${mint.slice(-4)}`;
}

export const txLink = (signature: string): string => `https://solscan.io/tx/${signature}`;
