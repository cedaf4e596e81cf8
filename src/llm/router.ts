import type { ProviderName } from './types.js';

/**
 * Which model a chat message needs, from its text alone: short chit-chat, status questions and
 * summaries go to the local model; code, tool use, long or multi-step reasoning go to Claude.
 * Pure and cheap (it runs on every message). When in doubt it picks Claude: a wrong "local" is a
 * bad answer, a wrong "Claude" only costs a little. The LLM service then applies availability and
 * budgets and records the reason next to the cost. Thresholds and extra words come from config.
 */

export interface RouteRules {
  /** Messages longer than this (that are not plain summaries or chit-chat) go to Claude. */
  localMaxChars: number;
  /** Extra words or phrases that send a message to Claude (lower case). */
  claudeWords: readonly string[];
}

export interface RouteDecision {
  provider: ProviderName;
  /** Why, in a few words: kept in the ledger and shown by /usage. */
  reason: string;
}

interface Rule {
  re: RegExp;
  reason: string;
}

/** Pasted code, a stack trace, a config file or a shell pipeline. */
const CODE: readonly RegExp[] = [
  /```/,
  /^\s*(def|class|function|import|from \S+ import|const|let|var|public|private|#include|package|fn|func)\b.*$/m,
  /\b(Traceback \(most recent call last\)|Exception in thread|panicked at|Segmentation fault)|\bat [\w.$<>]+ \([^)]*:\d+:\d+\)/,
  /[;{]\s*$/m,
  /\|\s*(grep|awk|sed|xargs|sort|jq)\b|\$\(|&&\s*\S/,
  /^\s*\[\s*\{"|^\s*\{\s*"\w+"\s*:/m,
];

/** Work to be done: build, fix, plan, investigate, or several actions in a row (tool use). */
const CLAUDE_RULES: readonly Rule[] = [
  { re: /^(pls |please |can you |could you |can u |help me |now )?(write|draft|create|build|generate|compose|implement|design|plan|debug|refactor|review|analy[sz]e|audit|prove|derive|compute|investigate|troubleshoot|diagnose|dig|scan|go through|figure out|set up|setup|configure|migrate|automate|rebalance|optimi[sz]e|benchmark|outline|upgrade|look at|find out|check if|check whether|make me|escribe|rédige|schreib|écris|crie)\b/i, reason: 'a task to carry out' },
  { re: /\b(fix (this|it|my)|debug|what'?s wrong with|keeps? (rebooting|crashing|failing|restarting|dropping)|(is|so|very|too) slow|not working|doesn'?t work|broken|failed with|error|degraded|flapping|are gone|went missing)\b/i, reason: 'something to debug' },
  { re: /\b(should i|is it worth|good idea|be honest|would you recommend|what would you do|best way to|how would you|pros and cons|trade-?offs?|\bvs\.?\b|versus|compare|comparison|which is better)/i, reason: 'advice that needs weighing' },
  { re: /\b(prove|proof|derive|step by step|step-by-step|passo a passo|paso a paso|show (the|your) (reasoning|work|math)|with the (actual )?math|how many ways|what'?s the (chance|probability)|probability|double.?check my (math|numbers)|average (price|cost)|expected value|cost estimate|how long until|km\/h|per (day|month) for \d+)/i, reason: 'reasoning or maths' },
  { re: /\b(one-?liner|cron expression|regex (that|to|for)|a regex|systemd|nginx|dockerfile|docker-compose|github actions|workflow|terraform|ansible|kubernetes|k8s manifest|sql query|in one query|awk|sed command|bash function|unit tests?|(write|give me|need|make) .{0,40}\b(function|funci[oó]n|script|query|program|class|module|cli))\b/i, reason: 'code to write' },
  { re: /\b(essay|article|report|proposal|cover letter|toast|speech|story|docs for|documentation|letter|lettre|email to|message to|itinerary|trip|plan with|curriculum|schedule for)\b/i, reason: 'writing to do' },
  { re: /\b(and|then|,)\s+(then\s+)?(tell|propose|draft|renew|remove|delete|put|close|show|group|suggest|execute|restart|move|send|fix|run|rotate|compare|explain|recommend|migrate|pause|stop|sag|dime|dis)\b|\bif\b.{3,80}\b(then|close|sell|buy|restart|stop|remove|delete|put|send|alert|notify|migrate)\b|\bevery (morning|day|night|week|hour|monday|weekday)\b|\bone by one\b/i, reason: 'several steps (tool use)' },
  { re: /\b(explain|tell me)\b.{0,40}\b(why|how .* works|in detail|with examples|trade|theorem|math)\b/i, reason: 'an explanation in depth' },
  { re: /\b(legal|lawyer|contract|clause|tax(es)?|holding period|worried|symptoms?|fever|diagnos)/i, reason: 'a question that needs care' },
];

const CHITCHAT = /^(hi|hey|hello|yo|hiya|hola|gm|gn|good (morning|afternoon|evening|night)|thanks|thank you|thx|thnks|ty|merci|danke|valeu|gracias|ok|okay|cool|nice|great|perfect|lol|haha|bye|brb|see you|sup|never ?mind|sorry|yes|no|yep|nope|hmm|wow|ugh|happy \w+)\b/i;
const STATUS = /^(status|estado|what'?s (my|the) (status|balance|pnl)|is (the )?\S+( \S+)? (up|ok|okay|healthy|done|running|finished|alive)\b|are (all )?(the )?\w+ (up|ok)|how('?s| is| are) (my|the)\b|any (alerts|errors)\b)/i;
/** Summaries and rewordings stay local even for a long paste, unless they also ask for judgement. */
const REWORDING = /^(.{0,40}\b(summari[sz]e|summary|tl;?dr|sum up|recap|gist|short version|key points|résume|resume|zusammenfassung)\b|translate|traduis|traduce|übersetze|rephrase|reword|make this (shorter|sound|more|less)|fix the grammar|define|spell)/i;
const JUDGEMENT = /\b(and (tell|point|explain|say|check|flag|whether)|risks?|unfair|is it (fair|safe|legal|ok)|should i|whether|what do you think|critique|evaluate|pros and cons)\b/i;
/** Chit-chat, status and small requests a small model handles as well as a large one. */
const LOCAL_RULES: readonly Rule[] = [
  { re: CHITCHAT, reason: 'chit-chat' },
  { re: /\b(status|uptime|health\??$|did .{0,30}(succeed|trigger|finish|run)|remind me|reminder|snooze|mute|pause .* alerts|what'?s my)\b/i, reason: 'a status question or a small request' },
];

export function routeMessage(text: string, rules: RouteRules): RouteDecision {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (CODE.some((re) => re.test(t))) return { provider: 'claude', reason: 'code, a log or a stack trace' };
  const extra = rules.claudeWords.find((w) => lower.includes(w));
  if (extra) return { provider: 'claude', reason: `asks for "${extra}"` };
  if (CHITCHAT.test(t) && !t.includes('?') && t.length <= rules.localMaxChars * 1.5) return { provider: 'local', reason: 'chit-chat' };
  if (REWORDING.test(t) && !JUDGEMENT.test(t) && t.length <= rules.localMaxChars * 8) return { provider: 'local', reason: 'a summary or rewording' };
  if (STATUS.test(t) && t.length <= rules.localMaxChars) return { provider: 'local', reason: 'a status question' };
  const claude = CLAUDE_RULES.find((r) => r.re.test(t));
  if (claude) return { provider: 'claude', reason: claude.reason };
  if (t.length > rules.localMaxChars) return { provider: 'claude', reason: `long (${t.length} characters)` };
  const lines = t.split('\n').filter((l) => l.trim()).length;
  const questions = (t.match(/\?/g) ?? []).length;
  if (lines >= 4 || questions >= 3) return { provider: 'claude', reason: 'several parts' };
  const local = LOCAL_RULES.find((r) => r.re.test(t));
  return { provider: 'local', reason: local?.reason ?? 'a short question' };
}

/** Whether the router took the message for a question about Jarvis's own state (chat then adds the status report). */
export function asksForStatus(decision: RouteDecision): boolean {
  return decision.reason.startsWith('a status question');
}
