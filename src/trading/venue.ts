/**
 * What the trading service needs from a swap venue (Jupiter, bags.fm) and a price source.
 * Amounts are integer base units (lamports for SOL) as bigint: token amounts overflow 2^53.
 */

export type VenueName = 'jupiter' | 'bags';

export interface QuoteRequest {
  inputMint: string;
  outputMint: string;
  /** Integer base units of the input mint. */
  amount: bigint;
  slippageBps: number;
}

export interface Quote {
  venue: VenueName;
  inputMint: string;
  outputMint: string;
  inAmount: bigint;
  outAmount: bigint;
  /** Least the swap may return after slippage (Jupiter's otherAmountThreshold, bags' minOutAmount). */
  minOutAmount: bigint;
  /** As the venues report it: a fraction despite the name (0.01 = 1%). */
  priceImpactPct: number;
  slippageBps: number;
  /** The venue's own quote object, handed back unchanged to swap(). */
  raw: unknown;
}

/** An unsigned transaction built by the venue for `userPublicKey` to sign. */
export interface SwapTransaction {
  /** Wire bytes of the VersionedTransaction (Jupiter sends base64, bags base58; decoded here). */
  transaction: Uint8Array;
  lastValidBlockHeight: number;
}

export interface Venue {
  readonly name: VenueName;
  quote(req: QuoteRequest, signal?: AbortSignal): Promise<Quote>;
  swap(quote: Quote, userPublicKey: string, opts: { priorityFeeLamports: number }, signal?: AbortSignal): Promise<SwapTransaction>;
}

export interface TokenPrice {
  usdPrice: number;
  decimals?: number;
}

export interface PriceSource {
  /** Prices for up to 50 mints; a mint without a reliable price is absent from the map. */
  prices(mints: readonly string[], signal?: AbortSignal): Promise<Map<string, TokenPrice>>;
}
