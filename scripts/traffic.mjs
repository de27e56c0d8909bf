#!/usr/bin/env node
// Visitor simulation for the demo shop: a few visitors with cookies browse, add to the cart and
// buy; a bot, an opted-out visitor and an anonymous (Sec-GPC) visitor show what is NOT tracked
// or tracked without an eid. Run alone: node scripts/traffic.mjs http://127.0.0.1:3000
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/**
 * The visitors. Each step is a path (GET) or `{ post, form }`; `ip` goes in X-Forwarded-For
 * (the demo shop trusts loopback proxies, so the hits carry it as X-WT-IP).
 */
export const VISITORS = [
  {
    name: 'Anna buys two items',
    ua: CHROME,
    ip: '203.0.113.10',
    referrer: 'https://www.google.com/',
    steps: ['/?wt_mc=newsletter.nov', '/products/sku-1', '/products/sku-2', '/cart?add=sku-2', { post: '/newsletter', form: { email: 'anna@example.com' } }, '/checkout/confirmation?order=A-1001'],
  },
  {
    name: 'Ben browses and leaves his cart',
    ua: FIREFOX,
    ip: '198.51.100.20',
    steps: ['/', '/products/sku-3', '/cart?add=sku-3', '/products/sku-4'],
  },
  {
    name: 'Chloe on her phone buys, then reads on',
    ua: SAFARI,
    ip: '2001:db8::30',
    referrer: 'https://www.bing.com/search?q=rain+jacket',
    steps: ['/products/sku-3', '/cart?add=sku-3', '/checkout/confirmation?order=A-1002', { post: '/newsletter', form: { email: 'chloe@example.com' } }, '/'],
  },
  {
    name: 'Dan hits a dead link',
    ua: CHROME,
    ip: '203.0.113.40',
    steps: ['/', '/products/sku-1', '/old-page-that-moved'],
  },
  { name: 'Googlebot (not tracked: bot)', ua: GOOGLEBOT, ip: '66.249.66.1', steps: ['/', '/products/sku-1', '/products/sku-2'] },
  { name: 'Olga opted out (webtrekkOptOut cookie: not tracked)', ua: FIREFOX, ip: '203.0.113.60', cookies: { webtrekkOptOut: '1' }, steps: ['/', '/products/sku-4', '/cart?add=sku-4'] },
  { name: 'Gus sends Sec-GPC (anonymous: no eid)', ua: CHROME, ip: '198.51.100.70', headers: { 'sec-gpc': '1' }, steps: ['/', '/products/sku-2'] },
];

/**
 * Runs every visitor once, visitors in parallel, steps `pace` ms apart. Resolves with what
 * was requested; never rejects for a failed page (it is counted instead).
 * @param {{ shopUrl: string, pace?: number, log?: (line: string) => void, signal?: AbortSignal }} options
 */
export async function runTraffic({ shopUrl, pace = 400, log = () => {}, signal } = {}) {
  const summary = { visitors: VISITORS.length, requests: 0, failed: 0, statuses: {} };
  await Promise.all(
    VISITORS.map(async (visitor, index) => {
      const jar = new Map(Object.entries(visitor.cookies ?? {}));
      let previous = visitor.referrer;
      // Stagger the visitors so the inspector shows them interleaved, not in lock-step.
      if (pace > 0) await delay(index * pace * 0.4, undefined, { signal }).catch(() => {});
      for (const step of visitor.steps) {
        if (signal?.aborted) return;
        const path = typeof step === 'string' ? step : step.post;
        const url = new URL(path, shopUrl).href;
        const headers = {
          'user-agent': visitor.ua,
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
          'accept-language': 'en-GB,en;q=0.9,de;q=0.7',
          'sec-fetch-dest': 'document',
          'sec-fetch-mode': 'navigate',
          'x-forwarded-for': visitor.ip,
          ...(previous ? { referer: previous } : {}),
          ...(jar.size > 0 ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
          ...visitor.headers,
        };
        const init = typeof step === 'string'
          ? { headers, redirect: 'manual', signal }
          : { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(step.form).toString(), redirect: 'manual', signal };
        summary.requests++;
        try {
          const res = await fetch(url, init);
          await res.arrayBuffer();
          for (const cookie of res.headers.getSetCookie()) {
            const [pair] = cookie.split(';');
            const eq = pair.indexOf('=');
            if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          summary.statuses[res.status] = (summary.statuses[res.status] ?? 0) + 1;
          log(`  ${visitor.name.padEnd(52)} ${typeof step === 'string' ? 'GET ' : 'POST'} ${path} → ${res.status}`);
        } catch (error) {
          if (signal?.aborted) return;
          summary.failed++;
          log(`  ${visitor.name.padEnd(52)} ${path} failed: ${error instanceof Error ? error.message : error}`);
        }
        previous = url;
        if (pace > 0) await delay(pace, undefined, { signal }).catch(() => {});
      }
    }),
  );
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const shopUrl = process.argv[2];
  if (!shopUrl) {
    console.error('Usage: node scripts/traffic.mjs <shop url>   e.g. http://127.0.0.1:3000');
    process.exit(2);
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const summary = await runTraffic({ shopUrl, log: console.log, signal: controller.signal });
  console.log(`traffic: ${summary.requests} requests by ${summary.visitors} visitors, statuses ${JSON.stringify(summary.statuses)}, ${summary.failed} failed`);
}
