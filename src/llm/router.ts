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
  /** Where a short message no rule recognises goes (default 'claude'). */
  unsure?: ProviderName;
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
  { re: /\b(make|have|get|let) (the|my|our) (bot|script|code|app|service|job|monitor|strategy|function|config) (\w+ ){0,3}?(do|buy|sell|use|stop|skip|retry|wait|log|handle|ignore|send|only|not|be|run|check)\b|\b(add|change|implement|support) .{0,40}\b(to|in) (the|my|our) (bot|script|code|app|service|repo|strategy)\b/i, reason: 'a change to their code' },
  { re: /^(pls |please |can you |could you |can u |help me |now )?(write|draft|create|build|generate|compose|implement|design|plan|debug|refactor|review|analy[sz]e|audit|prove|derive|compute|investigate|troubleshoot|diagnose|dig|scan|go through|figure out|set up|setup|configure|migrate|automate|rebalance|optimi[sz]e|benchmark|outline|upgrade|look at|find out|check if|check whether|make me|escribe|rédige|schreib|écris|crie)\b/i, reason: 'a task to carry out' },
  { re: /\b(fix (this|it|my)|debug|what'?s wrong with|why (is|are|does|do|did|isn'?t|aren'?t|doesn'?t|don'?t|won'?t|can'?t|would) (my|it|this|our)\b|(never|doesn'?t|won'?t|stopped) (runs?|fires?|starts?|triggers?|loads?|connects?|boots?|mounts?|syncs?)\b|(returning|returns|throws|throwing|getting) (an? )?(\d{3}|errors?|exceptions?|timeouts?)|keeps? (rebooting|crashing|failing|restarting|dropping)|(is|so|very|too) slow|not working|doesn'?t work|broken|failed with|error|degraded|flapping|are gone|went missing)\b/i, reason: 'something to debug' },
  { re: /\b(should i|is it worth|good idea|be honest|would you recommend|what would you do|best way to|how would you|pros and cons|trade-?offs?|\bvs\.?\b|versus|compare|comparison|which is better)/i, reason: 'advice that needs weighing' },
  { re: /\b(prove|proof(?! of (stake|work|history|concept|space|authority))|derive|step by step|step-by-step|passo a passo|paso a paso|show (the|your) (reasoning|work|math)|with the (actual )?math|how many ways|what'?s the (chance|probability)|probability|double.?check my (math|numbers)|average (price|cost)|expected value|cost estimate|how long until|km\/h|per (day|month) for \d+|compound(ing|ed)?|interest rate|break.?even)/i, reason: 'reasoning or maths' },
  { re: /\b(one-?liner|cron expression|regex (that|to|for)|a regex|systemd|nginx|dockerfile|docker-compose|github actions|workflow|terraform|ansible|kubernetes|k8s manifest|sql query|in one query|awk|sed command|bash function|unit tests?|(write|give me|need|make) .{0,40}\b(function|funci[oó]n|script|query|program|class|module|cli))\b/i, reason: 'code to write' },
  { re: /\b(essay|article|report|proposal|cover letter|toast|speech|story|docs for|documentation|letter|lettre|email to|message to|itinerary|trip|plan with|curriculum|schedule for)\b/i, reason: 'writing to do' },
  { re: /\b(and|then|,)\s+(then\s+)?(tell|propose|draft|renew|remove|delete|put|close|show|group|suggest|execute|restart|move|send|fix|run|rotate|compare|explain|recommend|migrate|pause|stop|sag|dime|dis)\b|\bif\b.{3,80}\b(then|close|sell|buy|restart|stop|remove|delete|put|send|alert|notify|migrate)\b|\bevery (morning|day|night|week|hour|monday|weekday)\b|\bone by one\b|\b(e depois|e ent[aã]o|y (luego|despu[eé]s)|und dann|danach|et (puis|ensuite)|e poi|en dan)\b/i, reason: 'several steps (tool use)' },
  { re: /\b(explain|tell me)\b.{0,40}\b(why|how .{0,60} works|in detail|with examples|trade|theorem|math)\b/i, reason: 'an explanation in depth' },
  { re: /\b(legal|lawyer|contract|clause|tax(es)?|holding period|worried|symptoms?|fever|diagnos|is (it|this|that) safe|safe to|dosage|mg\b|medication|pills?)/i, reason: 'a question that needs care' },
];

const CHITCHAT = /^(hi|hey|hello|yo|hiya|hola|gm|gn|good (morning|afternoon|evening|night)|thanks|thank you|thx|thnks|ty|merci|danke|valeu|gracias|ok|okay|cool|nice|great|perfect|lol|haha|bye|brb|see you|sup|never ?mind|sorry|yes|no|yep|nope|hmm|wow|ugh|happy \w+)\b/i;
const STATUS = /^(status|estado|what'?s (my|the) (status|balance|pnl)|is (the )?\S+( \S+)? (up|ok|okay|healthy|done|running|finished|alive)\b|are (all )?(the )?\w+ (up|ok)|how('?s| is| are) (my|the)\b|any (alerts|errors)\b)/i;
/** Summaries and rewordings stay local even for a long paste, unless they also ask for judgement. */
const REWORDING = /^(.{0,40}\b(summari[sz]e|summary|tl;?dr|sum up|recap|gist|short version|key points|bullet points|action items|résume|resume|resumen|resuma|resumo|zusammenfassung|zusammenfassen|fass\b.{0,30}\bzusammen|riassumi|samenvatting|vat .{0,20}samen)\b|translate|traduis|traduce|traduz|übersetze|traduci|vertaal|what does (this|it) say|rephrase|reword|shorten|.{0,20}\b(rewrite|rephrase|reword)\b.{0,40}\b(shorter|simpler|professional|polite|politer|formal|casual|friendlier|nicer|clearer|more \w+|less \w+|plain english)|make (this|it) (shorter|sound|more|less)|.{0,20}\bturn (this|these|it) .{0,30}\binto (a |an )?(\w+ )?(list|bullets?|action items|summary|tweet|table)|fix the grammar|define|spell)/i;
const JUDGEMENT = /\b(and (tell|point|explain|say|check|flag|whether)|risks?|unfair|is it (fair|safe|legal|ok)|should i|whether|what do you think|critique|evaluate|pros and cons)\b/i;
/** A reminder to set, not a question ("remind me how …" is a question). */
const REMINDER = /\bremind me (to|at|in|on|every|tomorrow|tonight|about|when)\b/i;
/** A short piece of writing a small model does as well: a quick message, a caption, a haiku. */
const SHORT_PIECE = /^(pls |please |can you |could you |can u )?write (me )?(a |an )?(((quick|short|one-line|one line|little|tiny|funny|cute|sweet)\s+).{0,30}?\b(msg|message|note|text|caption|tweet|poem|commit message|subject line|reply)|haiku|limerick|(short |little )?poem)\b/i;
/** A question of fact, a definition or a conversion: what a small model answers as well. */
const QUICK_FACT = /^(what('?s| is| are| was| were| does| do)\b|whats\b|who\b|when\b|where\b|which\b|how (many|much|far|long|old|tall|big|hot|cold|do you (say|spell|pronounce))\b|define\b|meaning of\b|convert\b|\d[\d.,]*\s*[a-z°%$€£]+\s+(in|to|into)\s+\w+|(is|are|was|can|does) (a|an|the)?\s?\w+ (a|an|the|bigger|smaller|older|faster)\b|tell me (a joke|something|about)\b)/i;
/** About their own machines, money or code: a short question may need diagnosis. */
const PERSONAL = /\b(my|mine|our|ours|i|i'm|im|i've|ive|we|we're)\b/i;

/** Chit-chat, status and small requests a small model handles as well as a large one. */
const LOCAL_RULES: readonly Rule[] = [
  { re: CHITCHAT, reason: 'chit-chat' },
  { re: /\b(status|uptime|health\??$|did .{0,30}(succeed|trigger|finish|run)|remind me|reminder|snooze|mute|pause .{0,40} alerts|what'?s my)\b/i, reason: 'a status question or a small request' },
  // Terse questions about a reading of their machines or positions ("ram on pve3?", "paper pnl this week?").
  { re: /^(?=(\S+\s+){0,7}\S+$).*\b(ram|memory|cpu|load|disk|space|storage|temps?|temperature|uptime|quorum|health|backups?|alerts?|balance|pnl|p&l|portfolio|positions?|trades?|orders?|reminders?|jobs?|sessions?|price|entry|running|down|up|ok)\b/i, reason: 'a status question' },
  // One action, as a command would do it: the chat cannot act, so a small model points to the command.
  { re: /^(please |pls |can you |could you )?(start|stop|reboot|restart|shut ?down|snapshot|take a snapshot|close|buy|sell|pause|resume|kill|add|remove|show|list|open)\b(?=(\s+\S+){0,7}$)/i, reason: 'one action (a command does it)' },
];

/** The request itself: the text before a pasted body (up to the first colon or line break). */
function instructionOf(t: string): string {
  const cut = t.search(/[:\n]/);
  return cut >= 0 && cut <= 120 ? t.slice(0, cut) : t.slice(0, 120);
}

/** Rules read at most this much of a message (a long one goes to Claude on its length anyway). */
const READ_CHARS = 8_000;

export function routeMessage(text: string, rules: RouteRules): RouteDecision {
  const whole = text.trim();
  // The rules read the start (bounded time for any input); lengths are the whole message's.
  const t = whole.slice(0, READ_CHARS);
  const len = whole.length;
  const lower = t.toLowerCase();
  if (CODE.some((re) => re.test(t))) return { provider: 'claude', reason: 'code, a log or a stack trace' };
  const extra = rules.claudeWords.find((w) => lower.includes(w));
  if (extra) return { provider: 'claude', reason: `asks for "${extra}"` };
  // A greeting followed by a request is the request: chit-chat is the greeting and a few words.
  if (CHITCHAT.test(t) && !t.includes('?') && len <= rules.localMaxChars * 1.5 && t.split(/\s+/).length <= 6) return { provider: 'local', reason: 'chit-chat' };
  // Judgement is asked for in the instruction, not in the text pasted after it.
  if (REWORDING.test(t) && !JUDGEMENT.test(instructionOf(t)) && len <= rules.localMaxChars * 30) return { provider: 'local', reason: 'a summary or rewording' };
  if (STATUS.test(t) && len <= rules.localMaxChars) return { provider: 'local', reason: 'a status question' };
  if (REMINDER.test(t) && len <= rules.localMaxChars * 1.5) return { provider: 'local', reason: 'a reminder to set' };
  if (SHORT_PIECE.test(t) && len <= rules.localMaxChars) return { provider: 'local', reason: 'a short piece of writing' };
  const claude = CLAUDE_RULES.find((r) => r.re.test(t));
  if (claude) return { provider: 'claude', reason: claude.reason };
  if (len > rules.localMaxChars) return { provider: 'claude', reason: `long (${len} characters)` };
  const lines = t.split('\n').filter((l) => l.trim()).length;
  const questions = (t.match(/\?/g) ?? []).length;
  if (lines >= 4 || questions >= 3) return { provider: 'claude', reason: 'several parts' };
  const local = LOCAL_RULES.find((r) => r.re.test(t));
  if (local) return { provider: 'local', reason: local.reason };
  // Unrecognised and short. A quick fact about the world is local either way; the rest follows
  // LLM_ROUTE_UNSURE: 'claude' (default: a wrong "local" is a bad answer) or 'local' (cheaper).
  if (QUICK_FACT.test(t) && !PERSONAL.test(t)) return { provider: 'local', reason: 'a quick fact' };
  return rules.unsure === 'local' ? { provider: 'local', reason: 'a short question' } : { provider: 'claude', reason: 'not clearly simple' };
}

/** Whether the router took the message for a question about Jarvis's own state (chat then adds the status report). */
export function asksForStatus(decision: RouteDecision): boolean {
  return decision.reason.startsWith('a status question');
}
