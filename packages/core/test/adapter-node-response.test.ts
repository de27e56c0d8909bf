import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeResponseCookies } from '../src/node/set-cookie.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves `handler` on a loopback port and answers one GET with its headers. */
async function serveOnce(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<IncomingMessage> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/`, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    }).on('error', reject);
  });
}

describe('nodeResponseCookies', () => {
  it('appends a cookie next to the ones already set, and takes back only its own', async () => {
    const res = await serveOnce((_req, response) => {
      response.setHeader('set-cookie', 'session=1');
      const cookies = nodeResponseCookies(response);
      cookies.append('wtstp_eid=2; Path=/');
      cookies.append('temp=3');
      cookies.remove('temp=3');
      response.end('ok');
    });
    expect(res.headers['set-cookie']).toEqual(['session=1', 'wtstp_eid=2; Path=/']);
  });

  it('removes the header when its own cookie was the only one, and says when it is too late to append', async () => {
    const appended: boolean[] = [];
    const res = await serveOnce((_req, response) => {
      const cookies = nodeResponseCookies(response);
      appended.push(cookies.append('wtstp_eid=2'));
      cookies.remove('wtstp_eid=2');
      response.end('ok');
      appended.push(cookies.append('wtstp_eid=3')); // headers already sent: not added, no throw
      cookies.remove('anything'); // too late: must not throw
    });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(appended).toEqual([true, false]);
  });
});
