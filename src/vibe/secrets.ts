/**
 * What counts as a secret-looking file. The vibe tools never read, search, send, write, delete or
 * receive such a file, and the sandbox masks them, so their contents never reach the model or chat.
 * Matching is by name only (case-insensitive, on every path segment): cheap, predictable, and
 * explainable to a person in one line. It is a guard against accidents, not a content scanner.
 */

/** A path segment that makes everything beneath it secret. */
const SECRET_DIRS = new Set(['.ssh', '.gnupg', '.aws', '.azure', '.password-store']);

/** Two consecutive segments that together name a secret (or a secret folder). */
const SECRET_PAIRS = new Set(['.docker/config.json', '.kube/config', '.config/gcloud', '.config/gh']);

/** Exact basenames. */
const SECRET_NAMES = new Set([
  '.env', '.npmrc', '.netrc', '_netrc', '.pgpass', '.pypirc', '.git-credentials', '.dockercfg',
  '.htpasswd', '.boto', '.s3cfg', '.my.cnf', '.vault-token', '.terraformrc', 'terraform.tfvars',
]);

/** Basename shapes that are secret whatever the project. */
const SECRET_PATTERNS: RegExp[] = [
  /^\.env\../, // .env.local, .env.production, and .env.example too: people paste real values there
  /.\.env$/, // prod.env
  /\.(pem|key|p12|pfx|kdbx|jks|keystore|ppk|keytab|tfstate|tfstate\.backup|tfvars)$/,
  /^id_(rsa|dsa|ecdsa|ed25519)/, // private keys and their .pub twins
  /^service[-_]?account.*\.json$/,
];

/**
 * Basename prefixes that are secret when the file is data (credentials.json, secrets.yaml), but not
 * when it is source code about secrets (secrets.ts, credentials.py): refusing code would stop the
 * model from working on any project that handles credentials.
 */
const SECRET_PREFIXES = /^(credentials|secrets?\.)/;
const CODE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|php|c|h|cc|cpp|hpp|cs|swift|scala|ex|exs|md|rst|html|css|vue|svelte|sh)$/;

/** True when `rel` (a relative path, '/' separated) names or lies inside something secret-looking. */
export function isSecretPath(rel: string): boolean {
  const segments = rel.toLowerCase().split('/').filter((s) => s !== '' && s !== '.');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (SECRET_DIRS.has(seg)) return true;
    const next = segments[i + 1];
    if (next !== undefined && SECRET_PAIRS.has(`${seg}/${next}`)) return true;
  }
  const base = segments[segments.length - 1];
  if (base === undefined) return false;
  if (SECRET_NAMES.has(base)) return true;
  if (SECRET_PATTERNS.some((p) => p.test(base))) return true;
  return SECRET_PREFIXES.test(base) && !CODE_EXTENSIONS.test(base);
}
