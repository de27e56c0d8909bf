import { describe, expect, it } from '@jest/globals';
import { parsePixelRoute, splitTarget } from '../src/pixel/route.js';

const ID = '111111111111111';
const OTHER = '222222222222222';
const CONFIGURED = `${ID},${OTHER}`;

describe('pixel route', () => {
  it.each([
    ['GET', '', { kind: 'server', trackId: CONFIGURED, hasBody: false }],
    ['GET', '/', { kind: 'server', trackId: CONFIGURED, hasBody: false }],
    ['POST', '', { kind: 'server', trackId: CONFIGURED, hasBody: true }],
    ['GET', `/${ID}/wt`, { kind: 'wt', trackId: ID, hasBody: false }],
    ['HEAD', `/${ID}/wt`, { kind: 'wt', trackId: ID, hasBody: false }],
    ['GET', `/${ID}/wtk3j-x_9a`, { kind: 'wt', trackId: ID, hasBody: false }],
    ['GET', `/${ID},${OTHER}/wt`, { kind: 'wt', trackId: `${ID},${OTHER}`, hasBody: false }],
    ['POST', `/${OTHER}/batch`, { kind: 'batch', trackId: OTHER, hasBody: true }],
  ])('accepts %s %j', (method, path, route) => {
    expect(parsePixelRoute(method, path, CONFIGURED)).toEqual(route);
  });

  it.each([
    ['PUT', `/${ID}/wt`, 405, 'method'],
    ['DELETE', '', 405, 'method'],
    ['OPTIONS', `/${ID}/batch`, 405, 'method'],
    ['CONNECT', '', 405, 'method'],
    ['GET', `/${ID}/batch`, 405, 'method'],
    ['GET', '/333333333333333/wt', 404, 'track-id'],
    ['GET', `/${ID},333333333333333/wt`, 404, 'track-id'],
    ['GET', '/11111111111111/wt', 404, 'track-id'],
    ['GET', `/${ID}/optout`, 404, 'path'],
    ['GET', `/${ID}/cc`, 404, 'path'],
    ['GET', `/${ID}/wt/extra`, 404, 'path'],
    ['GET', '/admin', 404, 'path'],
    ['GET', '/../admin', 400, 'path'],
    ['GET', `/${ID}/../../admin/wt`, 400, 'path'],
    ['GET', `/./${ID}/wt`, 400, 'path'],
    ['GET', `/%2e%2e/${ID}/wt`, 400, 'path'],
    ['GET', `/%252e%252e/${ID}/wt`, 400, 'path'],
    ['GET', `/${ID}%2Fwt`, 400, 'path'],
    ['GET', `/${ID}/%77t`, 400, 'path'],
    ['GET', `/..\\..\\${ID}/wt`, 400, 'path'],
    ['GET', `\\${ID}\\wt`, 400, 'path'],
    ['GET', '//evil.example/wt', 400, 'path'],
    ['GET', `/${ID}//wt`, 400, 'path'],
    ['GET', 'http://evil.example/111111111111111/wt', 400, 'path'],
    ['GET', `/${ID}/wt\u0000`, 400, 'path'],
    ['GET', `/${ID}/w t`, 400, 'path'],
  ])('refuses %s %j with %i', (method, path, status, reason) => {
    expect(parsePixelRoute(method, path, CONFIGURED)).toEqual({ status, reason });
  });

  it('splits a raw target without decoding and drops a fragment', () => {
    expect(splitTarget('/a/b?p=600,x%20y&c=d#frag')).toEqual({ path: '/a/b', query: 'p=600,x%20y&c=d' });
    expect(splitTarget('/only')).toEqual({ path: '/only', query: '' });
  });
});
