import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startCollector, validateLine, type Collector, type StoredHit } from '@mapp-s2s/collector';
import { waitForHit } from '@mapp-s2s/adapter-tests';
import { allowedClientIps, normalizeIp } from './client-ip.js';
import { hostileBytes, hostileCookie, hostileHeader, INVALID_UTF8, spoofedForwarding, spoofedForwardingPair } from './hostile-inputs.js';
import { markerOf } from './markers.js';
import { report } from './notes.js';
import { buildRequest, rawRequest, type RawResponse } from './raw-http.js';
import { startCountingServer, startRecordingProxy, type CountingServer, type RecordingProxy } from './recording-proxy.js';

/** The suite's track id; the examples accept any configured id. */
export const HOSTILE_TRACK_ID = '123451234512345';

/** A running example shop under attack. */
export interface HostileShop {
  readonly url: string;
  readonly port: number;
  /** Sends what the shop still holds (in-process: `tracker.flush()`; a child process: nothing to do). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** How to run one framework's example. */
export interface HostileTarget {
  /** e.g. `examples/express`. */
  name: string;
  /** Starts the example with these settings; hits go to `trackDomain`. */
  start(settings: { trackDomain: string; trustProxy: false | 'loopback'; pixelMode?: 'queue' | 'forward' }): Promise<HostileShop>;
  /**
   * Starts the same example with tracking off, when the framework itself may answer 5xx to
   * hostile input: a 5xx is then replayed there and blamed on the app only if it recurs.
   */
  startControl?(): Promise<HostileShop>;
  /** `true` when the example mounts the Smart Pixel pass-through at /mapp/pixel. */
  pixel: boolean;
  /** `true` when `pixelMode: 'forward'` can be started (sends to Mapp while the browser waits; Mapp's cookies pass). */
  pixelForward: boolean;
  /** fast-check runs per property. */
  fuzzRuns: number;
  /** Deadline for one expected hit. */
  hitTimeoutMs: number;
}

/** A well-formed Smart Pixel `p` (ten fields), so only the hostile parts can make a line invalid. */
const P = (name: string): string => `p=600,${name},1,1920x1080,24,1,1730181123123,0,1280x720,0`;

/** Session-like cookies a visitor's browser holds: none of them may ever leave the shop. */
const SECRET = 'SECRET-SESSION-7f3a';
const SESSION_COOKIES = `session=${SECRET}; connect.sid=s%3A${SECRET}; JSESSIONID=${SECRET}; koa.sess=${SECRET}`;

interface Sent {
  shop: string;
  input: string;
  response: RawResponse;
  /** Set when the same request also fails with tracking off: the app's own error, not ours. */
  appError?: boolean;
}

/**
 * Hostile input through a real example shop (issue 8): fuzzed headers, cookies, URLs and
 * queries, a 16 KB user agent, broken percent-encoding and UTF-8, spoofed forwarding
 * headers and Smart Pixel pass-through abuse. Two shops run side by side: `trustProxy:
 * false` and `trustProxy: 'loopback'`. Checks: no answer is a 5xx and the app keeps
 * answering (a 5xx counts against tracking unless the app repeats it with tracking off);
 * every line the core built passes `validateLine`, relayed pixel lines have no wire-level
 * problem; no spoofed IP is ever reported; no session cookie, injected header or
 * open-proxy request leaves the shop.
 */
export function defineHostileInputSuite(target: HostileTarget): void {
  describe(`hostile input through ${target.name}`, () => {
    let collector: Collector;
    let recorder: RecordingProxy;
    let evil: CountingServer;
    const shops: Record<string, HostileShop> = {};
    const trust: Record<string, boolean> = { plain: false, trusted: true, forward: true };
    /** Marker → the client IPs a correct tracker may report for that request. */
    const allowedIps = new Map<string, Set<string>>();
    const inputs = new Map<string, string>();
    const sent: Sent[] = [];
    const appErrors: string[] = [];
    let control: HostileShop | undefined;
    let counter = 0;

    const marker = (kind: string): string => `${kind}${(counter++).toString(36)}`;

    /** Sends raw bytes to a shop and keeps the exchange for the final checks. */
    const send = async (shopName: string, request: Buffer, input: string, rid?: string, forwarding?: { xForwardedFor?: string; forwarded?: string }): Promise<RawResponse> => {
      const shop = shops[shopName] as HostileShop;
      if (rid !== undefined) {
        allowedIps.set(rid, allowedClientIps('127.0.0.1', trust[shopName] === true, forwarding ?? {}));
        inputs.set(rid, `${shopName}: ${input}`);
      }
      const response = await rawRequest(shop.port, request);
      const exchange: Sent = { shop: shopName, input, response };
      sent.push(exchange);
      if ((response.status >= 500 || response.status === 0) && control !== undefined) {
        const replay = await rawRequest(control.port, request);
        exchange.appError = replay.status >= 500;
        if (exchange.appError) appErrors.push(`${input} → ${response.status} (${replay.status} with tracking off)`);
      }
      return response;
    };

    /** Fails with the input when the shop answered 5xx or not at all, unless the app does so without tracking too. */
    const expectNo5xx = (response: RawResponse, input: string): void => {
      const exchange = sent.find((item) => item.response === response);
      if (exchange?.appError === true) return;
      if (response.status === 0 || response.status >= 500) throw new Error(`answer ${response.status} to ${input}\n${response.head}\n${response.body.slice(0, 500)}`);
    };

    /** The shop still serves pages (nothing crashed or wedged). */
    const expectAlive = async (): Promise<void> => {
      for (const shop of Object.values(shops)) {
        const response = await fetch(`${shop.url}/health`);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('ok');
      }
    };

    /** Waits until every shop has delivered its hits: flush, then a sentinel page view that must arrive. */
    const drainAll = async (): Promise<void> => {
      for (const [name, shop] of Object.entries(shops)) {
        const rid = marker('sentinel');
        const response = await send(name, buildRequest(`/?rid=${rid}`), 'sentinel', rid);
        expect(response.status).toBe(200);
        await shop.drain();
        await waitForHit(collector, (hit) => markerOf(hit) === rid, target.hitTimeoutMs, `sentinel ${rid} of ${name}`);
      }
    };

    beforeAll(async () => {
      collector = await startCollector({ inspector: false });
      recorder = await startRecordingProxy(collector.url);
      evil = await startCountingServer();
      shops['plain'] = await target.start({ trackDomain: recorder.url, trustProxy: false });
      shops['trusted'] = await target.start({ trackDomain: recorder.url, trustProxy: 'loopback' });
      if (target.pixelForward) shops['forward'] = await target.start({ trackDomain: recorder.url, trustProxy: 'loopback', pixelMode: 'forward' });
      control = await target.startControl?.();
    });

    afterAll(async () => {
      await Promise.all([...Object.values(shops), ...(control ? [control] : [])].map((shop) => shop.close()));
      await evil?.close();
      await recorder?.close();
      await collector?.close();
    });

    it('fuzzed URLs and query strings: no 5xx, the app keeps answering', async () => {
      const fixed = ['/cart?add=', '/cart?add=&add=', '/cart?add[]=x', '/products/a,b', '/products/%20', '/products/..%2F..%2Fadmin', '/products/%2e%2e', '//evil.example/', '/?a=1&a=2&%3D=%26', '/%2F%2F?', '/;jsessionid=x', '/products/' + 'x'.repeat(2000)];
      for (const path of fixed) {
        for (const shopName of ['plain', 'trusted']) {
          const rid = marker('edge');
          const requestTarget = `${path}${path.includes('?') ? '&' : '?'}rid=${rid}`;
          expectNo5xx(await send(shopName, buildRequest(requestTarget), `GET ${requestTarget}`, rid), `GET ${requestTarget}`);
        }
      }
      const prefixes = ['/', '/products/', '/cart?add=', '/checkout/confirmation?order=', '/no-such-page/', '/static/', ...(target.pixel ? ['/mapp/pixel/', '/mapp/pixel?'] : [])];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...prefixes), hostileBytes({ allowSpace: false }), hostileBytes({ allowSpace: false }), fc.constantFrom('plain', 'trusted'), async (prefix, path, query, shopName) => {
          const rid = marker('url');
          const requestTarget = Buffer.concat([Buffer.from(prefix, 'latin1'), path, Buffer.from(`${prefix.includes('?') ? '&' : '?'}rid=${rid}&`, 'latin1'), query]);
          const input = `GET ${JSON.stringify(requestTarget.toString('latin1'))}`;
          expectNo5xx(await send(shopName, buildRequest(requestTarget), input, rid), input);
        }),
        { numRuns: target.fuzzRuns, endOnFailure: true },
      );
      await expectAlive();
    });

    it('fuzzed headers and cookies: no 5xx, the app keeps answering', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(hostileHeader, { maxLength: 6 }), fc.option(hostileCookie), fc.constantFrom('plain', 'trusted'), async (headers, cookie, shopName) => {
          const rid = marker('hdr');
          const lines = cookie === null ? headers : [...headers, cookie];
          const input = `GET /?rid=${rid} with ${JSON.stringify(lines.map((line) => line.toString('latin1')))}`;
          expectNo5xx(await send(shopName, buildRequest(`/?rid=${rid}`, lines), input, rid), input);
        }),
        { numRuns: target.fuzzRuns, endOnFailure: true },
      );
      await expectAlive();
    });

    it('a 16 KB user agent: refused by the HTTP parser (431) or served, never a 5xx; a 15 KB one is served', async () => {
      const head = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 ';
      for (const shopName of ['plain', 'trusted']) {
        const huge = `${head}${'A'.repeat(16 * 1024 - head.length)}`;
        const rid = marker('ua16k');
        const response = await send(shopName, buildRequest(`/?rid=${rid}`, [`User-Agent: ${huge}`], { bare: true }), '16 KB user agent', rid);
        expectNo5xx(response, '16 KB user agent');
        const large = `${head}${'B'.repeat(15 * 1024 - head.length)}`;
        const rid15 = marker('ua15k');
        const served = await send(shopName, buildRequest(`/?rid=${rid15}`, [`User-Agent: ${large}`, 'Accept: text/html', 'Sec-Fetch-Dest: document'], { bare: true }), '15 KB user agent', rid15);
        expect(served.status).toBe(200);
      }
      await expectAlive();
    });

    it('invalid percent-encoding and invalid UTF-8 in path, query, cookies and referrer: no 5xx, pages still served', async () => {
      const encodings = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%FF%FE', '%ED%A0%80', '%00', '%0D%0ASet-Cookie:%20x=1', '%%32%65', '%u0041'];
      for (const shopName of ['plain', 'trusted']) {
        for (const bad of [...encodings.map((text) => Buffer.from(text, 'latin1')), ...INVALID_UTF8]) {
          const shown = JSON.stringify(bad.toString('latin1'));
          const variants: Array<[string, Buffer, Array<Buffer | string>, boolean]> = [
            ['path', Buffer.concat([Buffer.from('/products/', 'latin1'), bad, Buffer.from(`?rid=${marker('pct')}`, 'latin1')]), [], false],
            ['query', Buffer.concat([Buffer.from(`/?rid=${marker('pct')}&q=`, 'latin1'), bad, Buffer.from('&', 'latin1'), bad, Buffer.from('=1', 'latin1')]), [], false],
            ['cookie', Buffer.from(`/?rid=${marker('pct')}`, 'latin1'), [Buffer.concat([Buffer.from('Cookie: wtstp_eid=', 'latin1'), bad, Buffer.from('; wteid_123451234512345=', 'latin1'), bad, Buffer.from(`; ${SESSION_COOKIES}`, 'latin1')])], true],
            ['referrer', Buffer.from(`/?rid=${marker('pct')}`, 'latin1'), [Buffer.concat([Buffer.from('Referer: https://search.example/?q=', 'latin1'), bad])], true],
          ];
          for (const [where, requestTarget, headers, mustServe] of variants) {
            const rid = markerOf({ params: { pu: requestTarget.toString('latin1') } });
            const input = `${where} ${shown}: GET ${JSON.stringify(requestTarget.toString('latin1'))}`;
            const response = await send(shopName, buildRequest(requestTarget, headers), input, rid);
            expectNo5xx(response, input);
            if (mustServe) expect({ input, status: response.status }).toEqual({ input, status: 200 });
          }
        }
      }
      await expectAlive();
    });

    it('spoofed X-Forwarded-For and Forwarded: the reported IP is the peer, or the right-most untrusted hop behind a trusted proxy', async () => {
      type Forwarding = { xForwardedFor?: string; forwarded?: string };
      const fixed: Forwarding[] = [
        { xForwardedFor: '198.51.100.66, 203.0.113.5' },
        { xForwardedFor: '198.51.100.66, 203.0.113.5, 127.0.0.1' },
        { xForwardedFor: '198.51.100.66,203.0.113.5,127.0.0.9' },
        { xForwardedFor: '198.51.100.66, junk, 203.0.113.6' },
        { xForwardedFor: '198.51.100.66, 203.0.113.7:8080' },
        { xForwardedFor: '198.51.100.67, , ' },
        { forwarded: 'for=198.51.100.66, for=203.0.113.8' },
        { forwarded: 'for=198.51.100.66;proto=https, for="[2001:db8::9]:4711"' },
        { forwarded: 'for="198.51.100.66, 203.0.113.10"' },
        // A quote the client never closes must not swallow the element a proxy appended after it.
        { forwarded: 'for="198.51.100.66, for=203.0.113.11' },
        // Both kinds: one is the proxy's, the other the client's; only hops both name count.
        { xForwardedFor: '198.51.100.66', forwarded: 'for=203.0.113.12' },
        { xForwardedFor: '203.0.113.13', forwarded: 'for=198.51.100.66;host=evil.example' },
        { xForwardedFor: '198.51.100.66, 203.0.113.14', forwarded: 'for=203.0.113.14;proto=https' },
        { xForwardedFor: '198.51.100.66, 203.0.113.15, 127.0.0.1', forwarded: 'for=203.0.113.15, for=127.0.0.1' },
      ];
      const checks: Array<{ rid: string; input: string }> = [];
      const sendSpoof = async (forwarding: Forwarding, shopName: string): Promise<void> => {
        const rid = marker('ip');
        const lines: string[] = [];
        if (forwarding.xForwardedFor !== undefined) lines.push(`x-forwarded-for: ${forwarding.xForwardedFor}`);
        if (forwarding.forwarded !== undefined) lines.push(`forwarded: ${forwarding.forwarded}`);
        const input = `${shopName}: ${lines.join(' + ')}`;
        const response = await send(shopName, buildRequest(`/?rid=${rid}`, lines), input, rid, forwarding);
        expect({ input, status: response.status }).toEqual({ input, status: 200 });
        checks.push({ rid, input });
      };
      for (const forwarding of fixed) for (const shopName of ['plain', 'trusted']) await sendSpoof(forwarding, shopName);
      const anySpoof = fc.oneof(
        spoofedForwarding.map(({ kind, value }): Forwarding => (kind === 'x-forwarded-for' ? { xForwardedFor: value } : { forwarded: value })),
        spoofedForwardingPair,
      );
      await fc.assert(
        fc.asyncProperty(anySpoof, fc.constantFrom('plain', 'trusted'), async (forwarding, shopName) => sendSpoof(forwarding, shopName)),
        { numRuns: target.fuzzRuns, endOnFailure: true },
      );
      await drainAll();
      const wrong: string[] = [];
      for (const { rid, input } of checks) {
        const hit = await waitForHit(collector, (stored) => markerOf(stored) === rid, target.hitTimeoutMs, input);
        const reported = normalizeIp(hit.params['X-WT-IP'] ?? '');
        if (!(allowedIps.get(rid) as Set<string>).has(reported)) wrong.push(`${input} → X-WT-IP ${reported}, allowed ${[...(allowedIps.get(rid) ?? [])].join(' | ')}`);
      }
      expect(wrong).toEqual([]);
      // The fixed cases' left-most value is a spoof behind a real client: it is never reported.
      expect(checks.length).toBe(fixed.length * 2 + target.fuzzRuns);
    });

    if (target.pixel) {
      it('Smart Pixel pass-through abuse: open-proxy attempts, path tricks, unknown ids, CRLF, spoofed X-WT-*, cookie smuggling', async () => {
        const evilHost = `127.0.0.1:${evil.port}`;
        // The pass-through is really mounted: a well-formed pixel hit gets the GIF and arrives.
        for (const shopName of Object.keys(shops)) {
          const rid = marker('pxok');
          const probe = await send(shopName, buildRequest(`/mapp/pixel?${P('probe')}&pu=${encodeURIComponent(`http://shop.example/?rid=${rid}`)}`), `${shopName}: pixel probe`, rid);
          expect({ shopName, status: probe.status, gif: /content-type: *image\/gif/i.test(probe.head) }).toEqual({ shopName, status: 200, gif: true });
          await shops[shopName]?.drain();
          await waitForHit(collector, (hit) => markerOf(hit) === rid, target.hitTimeoutMs, `pixel probe of ${shopName}`);
        }
        const refused = [
          `/mapp/pixel/http://${evilHost}/`,
          `/mapp/pixel/http://${evilHost}/${HOSTILE_TRACK_ID}/wt?p=600,open-proxy`,
          `/mapp/pixel//${evilHost}/${HOSTILE_TRACK_ID}/wt?p=600,protocol-relative`,
          `/mapp/pixel/%2F%2F${evilHost}/wt?p=600,encoded-slashes`,
          `/mapp/pixel/../../${HOSTILE_TRACK_ID}/wt?p=600,dot-dot`,
          `/mapp/pixel/%2e%2e/%2e%2e/etc/passwd`,
          `/mapp/pixel/%252e%252e/${HOSTILE_TRACK_ID}/wt?p=600,double-encoded`,
          `/mapp/pixel/..%2f..%2f${HOSTILE_TRACK_ID}/wt?p=600,encoded-dot-dot`,
          `/mapp/pixel/${HOSTILE_TRACK_ID}/../999999999999999/wt?p=600,escape-id`,
          `/mapp/pixel/999999999999999/wt?p=600,unknown-id`,
          `/mapp/pixel/${HOSTILE_TRACK_ID},999999999999999/wt?p=600,extra-id`,
          `/mapp/pixel/12345/wt?p=600,short-id`,
          `/mapp/pixel/\\\\${evilHost}/wt?p=600,backslashes`,
          `/mapp/pixel/${HOSTILE_TRACK_ID}/wt@${evilHost}/?p=600,userinfo`,
          `/mapp/pixel/${HOSTILE_TRACK_ID}/batch?p=600,get-batch`,
        ];
        for (const shopName of Object.keys(shops)) {
          for (const path of refused) {
            const input = `${shopName}: GET ${path}`;
            const response = await send(shopName, buildRequest(path), input);
            // Refused (4xx), or a framework's path normalisation (Next redirects `//` with a 308) to
            // a path on the same site: never a redirect or request to another host.
            const location = /^location: *(\S*)/im.exec(response.head)?.[1] ?? '';
            const sameSite = response.status >= 300 && response.status < 400 && /^\/(?![/\\])/.test(location);
            expect({ input, status: response.status, refused: (response.status >= 400 && response.status < 500) || sameSite }).toEqual({ input, status: response.status, refused: true });
          }
          // Absolute-form request target and a hostile Host header: the upstream is configuration, never the request.
          const absolute = `absolute-form to the evil host (${shopName})`;
          expectNo5xx(await send(shopName, Buffer.from(`GET http://${evilHost}/mapp/pixel?${P('absolute-form')} HTTP/1.1\r\nHost: ${evilHost}\r\nConnection: close\r\n\r\n`, 'latin1'), absolute), absolute);
          const hostile = `Host: evil (${shopName})`;
          expectNo5xx(await send(shopName, Buffer.from(`GET /mapp/pixel/${HOSTILE_TRACK_ID}/wt?${P('hostile-host')} HTTP/1.1\r\nHost: ${evilHost}\r\nX-Forwarded-Host: ${evilHost}\r\nConnection: close\r\n\r\n`, 'latin1'), hostile), hostile);

          // Accepted pixel hits that try to smuggle: their lines must arrive clean.
          const pu = (rid: string): string => `pu=${encodeURIComponent(`http://shop.example/pixel?rid=${rid}`)}`;
          const accepted: Array<[string, (rid: string) => Buffer, { xForwardedFor?: string }?]> = [
            ['X-WT-* spoof in the query', (rid) => buildRequest(`/mapp/pixel?${P('spoof')}&X-WT-IP=6.6.6.6&x-wt-ip=6.6.6.7&X%2DWT%2DIP=6.6.6.8&X-WT-UA=evil&X-WT-SEC-CH-UA=evil&${pu(rid)}&eor=1`)],
            ['X-WT-* spoof in headers', (rid) => buildRequest(`/mapp/pixel/${HOSTILE_TRACK_ID}/wt?${P('spoof-headers')}&${pu(rid)}`, ['X-WT-IP: 6.6.6.6', 'X-WT-UA: evil', 'X-Forwarded-For: 198.51.100.66, 203.0.113.20']), { xForwardedFor: '198.51.100.66, 203.0.113.20' }],
            ['CRLF in the query', (rid) => buildRequest(`/mapp/pixel?${P('crlf%0D%0ASet-Cookie:%20injected=1')}&cp1=a%0D%0AX-Injected:%201&${pu(rid)}`)],
            ['CR and LF bytes in a cookie', (rid) => buildRequest(`/mapp/pixel?${P('cookie-crlf')}&${pu(rid)}`, [`Cookie: wtstp_eid=2123456789012345678%0D%0AX-Injected:%201; ${SESSION_COOKIES}`])],
            ['session cookies next to Mapp cookies', (rid) => buildRequest(`/mapp/pixel/${HOSTILE_TRACK_ID}/wt?${P('cookies')}&${pu(rid)}`, [`Cookie: ${SESSION_COOKIES}; wtstp_eid=2123456789012345678; wteid_${HOSTILE_TRACK_ID}=4123456789012345678; wt3_eid=%3B${HOSTILE_TRACK_ID}%7C2123456789012345678`])],
            ['eid parameter injection', (rid) => buildRequest(`/mapp/pixel?${P('inject')}&cp1=x%26eid%3D1%26X-WT-IP%3D6.6.6.9&${pu(rid)}`)],
            ['16 KB query', (rid) => buildRequest(`/mapp/pixel?${P('long')}&${pu(rid)}&cp2=${'x'.repeat(15 * 1024)}`)],
          ];
          for (const [what, build, forwarding] of accepted) {
            const rid = marker('px');
            const input = `${shopName}: pixel ${what}`;
            const response = await send(shopName, build(rid), input, rid, forwarding);
            expectNo5xx(response, input);
            expect(/^(x-injected|set-cookie: *injected)/im.test(response.head)).toBe(false);
          }
          // Beacon: a POST body with CRLF, junk lines and a smuggled X-WT-IP.
          const beaconRid = marker('px');
          inputs.set(beaconRid, `${shopName}: beacon`);
          allowedIps.set(beaconRid, allowedClientIps('127.0.0.1', trust[shopName] === true, {}));
          const body = `?${P('beacon')}&X-WT-IP=6.6.6.6&${pu(beaconRid)}\r\nX-Injected: 1\r\n\r\nwt?${P('beacon2')}&X-WT-IP=6.6.6.6&${pu(beaconRid)}\n${'\u0000'}junk\n`;
          const beacon = Buffer.from(`POST /mapp/pixel/${HOSTILE_TRACK_ID}/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nUser-Agent: Mozilla/5.0 Chrome/124.0\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCookie: ${SESSION_COOKIES}\r\n\r\n${body}`, 'latin1');
          expectNo5xx(await send(shopName, beacon, `${shopName}: beacon with CRLF`), `${shopName}: beacon`);
        }
        await fc.assert(
          fc.asyncProperty(hostileBytes({ allowSpace: false }), fc.constantFrom(...Object.keys(shops)), async (query, shopName) => {
            const rid = marker('pxf');
            const requestTarget = Buffer.concat([Buffer.from(`/mapp/pixel?${P('fuzz')}&pu=http%3A%2F%2Fshop%2F%3Frid%3D${rid}&`, 'latin1'), query]);
            const input = `${shopName}: GET ${JSON.stringify(requestTarget.toString('latin1'))}`;
            expectNo5xx(await send(shopName, buildRequest(requestTarget, [`Cookie: ${SESSION_COOKIES}`]), input, rid), input);
          }),
          { numRuns: target.fuzzRuns, endOnFailure: true },
        );
        expect(evil.hits).toEqual([]);
        await expectAlive();
      });
    }

    it('every line that reached the collector is valid, no spoofed IP was reported, and nothing secret or injected left the shop', async () => {
      await drainAll();
      const hits = collector.hits();
      const describeHit = (hit: StoredHit): string => `${inputs.get(markerOf(hit) ?? '') ?? '(no marker)'}\n    line: ${hit.raw.slice(0, 600)}`;
      const invalid = hits
        .map((hit) => ({ hit, problems: serverProblems(hit) }))
        .filter(({ problems }) => problems.length > 0)
        .map(({ hit, problems }) => `${describeHit(hit)}\n    problems: ${problems.join('; ')}`);
      const spoofed: string[] = [];
      for (const hit of hits) {
        const allowed = allowedIps.get(markerOf(hit) ?? '') ?? new Set([normalizeIp('127.0.0.1')]);
        // Every spelling of the name counts: a decoder upstream might fold `X%2DWT%2DIP` or `x-wt-ip` into it.
        const reported = hit.raw
          .slice(hit.raw.indexOf('?') + 1)
          .split('&')
          .map((pair) => pair.split('='))
          .filter(([name]) => safeDecode(name ?? '').toLowerCase() === 'x-wt-ip')
          .map(([, value]) => normalizeIp(safeDecode(value ?? '')));
        if (reported.length > 1 || reported.some((ip) => !allowed.has(ip))) spoofed.push(`${describeHit(hit)}\n    X-WT-IP ${reported.join(', ')} not in ${[...allowed].join(' | ')}`);
      }
      const leaks = recorder.requests
        .filter((request) => `${request.target}\n${request.rawHeaders.join('\n')}\n${request.body}`.includes(SECRET) || request.rawHeaders.some((name) => /^x-injected$/i.test(name)))
        .map((request) => `${request.method} ${request.target.slice(0, 200)} ${JSON.stringify(request.headers)}`);
      const fiveHundreds = sent.filter((exchange) => exchange.appError !== true && (exchange.response.status === 0 || exchange.response.status >= 500)).map((exchange) => `${exchange.input} → ${exchange.response.status}`);
      report(`reliability/hostile ${target.name}: ${sent.length} hostile requests, ${fiveHundreds.length} 5xx/no answer from tracking, ${appErrors.length} 5xx of the app itself (also with tracking off), ${hits.length} hits stored, ${invalid.length} invalid (pixel hits: wire-level problems only), ${spoofed.length} spoofed IPs, ${recorder.requests.length} upstream requests, ${leaks.length} leaking secrets/injected headers, ${evil.hits.length} reached the evil host`);
      if (appErrors.length > 0) console.log(`reliability/hostile ${target.name} app's own 5xx (not tracking):\n${appErrors.slice(0, 5).join('\n')}`);
      if (invalid.length > 0) console.log(`reliability/hostile ${target.name} INVALID LINES:\n${invalid.slice(0, 5).join('\n')}`);

      expect(hits.length).toBeGreaterThan(target.fuzzRuns);
      expect(invalid).toEqual([]);
      expect(spoofed).toEqual([]);
      expect(leaks).toEqual([]);
      expect(fiveHundreds).toEqual([]);
      expect(evil.hits).toEqual([]);
      await expectAlive();
    });
  });
}

/**
 * Wire-level problems: the line's shape, size and encoding, and client information. The
 * server owns these for every line it sends, its own page views and relayed pixel hits alike.
 */
const WIRE_PROBLEM = /^line: |: "\+" in value|: invalid percent-encoding|: percent-encoded bytes are not valid UTF-8|: repeated \d+ times|^x-wt-|client-information names/i;

/**
 * The `validateLine` problems the shop is answerable for. A page view is built by the core:
 * every problem counts. A Smart Pixel hit is relayed verbatim (docs/protocol.md §9 step 1), so
 * only wire-level problems count there; the meaning of the page's own tagging (a product
 * status, the number of p fields) is the site's, not the server's.
 */
function serverProblems(hit: StoredHit): string[] {
  const problems = validateLine(hit.raw, { via: hit.via }).problems;
  // The core stamps its own hits with the sender platform (`cs802`); relayed pixel lines carry the page's pairs.
  const relayed = hit.params['cs802'] === undefined;
  return relayed ? problems.filter((problem) => WIRE_PROBLEM.test(problem)) : problems;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
