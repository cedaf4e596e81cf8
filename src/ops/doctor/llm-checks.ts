import { probeJson } from './probe.js';
import { fail, pass, skip, type Check } from './types.js';

/** The models: Claude (a cheap authenticated read, the model list) and the local OpenAI-compatible server. */

const ANTHROPIC_VERSION = '2023-06-01';

export const anthropicCheck: Check = {
  name: 'anthropic',
  network: true,
  async run({ config, timeoutMs }) {
    const claude = config.llm.claude;
    if (!claude) return skip('not configured (ANTHROPIC_API_KEY is not set)');
    const r = await probeJson(`${claude.baseUrl}/v1/models?limit=1`, { timeoutMs, headers: { 'x-api-key': claude.apiKey, 'anthropic-version': ANTHROPIC_VERSION } });
    if (!r.ok) return fail(`the API does not answer: ${r.reason}`, 'check the network and ANTHROPIC_BASE_URL');
    if (r.status === 401) return fail('Anthropic rejected ANTHROPIC_API_KEY (401)', 'make a new key at console.anthropic.com and put it in .env');
    if (r.status === 403) return fail('the key may not use the API (403)', 'check the key\'s workspace and permissions at console.anthropic.com');
    if (r.status !== 200) return fail(`the API answered HTTP ${r.status}`, 'try again later; check ANTHROPIC_BASE_URL');
    return pass(`key accepted; chat uses ${claude.model}`);
  },
};

export const localModelCheck: Check = {
  name: 'local model',
  network: true,
  async run({ config, timeoutMs }) {
    const local = config.llm.local;
    if (!local) return skip('not configured (LOCAL_LLM_URL is not set)');
    const r = await probeJson(`${local.url}/models`, { timeoutMs, headers: local.apiKey ? { authorization: `Bearer ${local.apiKey}` } : {} });
    if (!r.ok) return fail(`the model server does not answer: ${r.reason}`, 'start it (llama.cpp, Ollama, vLLM) or fix LOCAL_LLM_URL');
    if (r.status === 401 || r.status === 403) return fail(`the model server refused the key (${r.status})`, 'check LOCAL_LLM_API_KEY');
    if (r.status === 404) return fail('no /models there', 'LOCAL_LLM_URL should end in /v1, e.g. http://127.0.0.1:11434/v1');
    if (r.status !== 200) return fail(`the model server answered HTTP ${r.status}`, 'check its log');
    const data = (r.json as { data?: unknown } | undefined)?.data;
    const ids = Array.isArray(data) ? data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string') : [];
    const listed = ids.length === 0 || ids.includes(local.model) ? '' : `; LOCAL_LLM_MODEL "${local.model}" is not among them (Ollama needs an exact name, llama.cpp ignores it)`;
    return pass(`answers with ${ids.length} model(s)${listed}`);
  },
};
