import { describe, expect, it } from '@jest/globals';
import { mappCookieHeader, mappCookieNames, rewriteSetCookies } from '../src/pixel/mapp-cookies.js';

const allowed = mappCookieNames(['111111111111111']);

describe('Mapp cookie allowlist', () => {
  it('forwards only Mapp cookies of configured track ids', () => {
    const header = mappCookieHeader(
      {
        'connect.sid': 's%3Asecret',
        session: 'abc',
        auth_token: 'Bearer x',
        wtstp_eid: '2157840760747614879',
        wteid_111111111111111: '4138210064900146323',
        wteid_999999999999999: '4000000000000000000',
        wtsid_111111111111111: '4138210064900146323',
        wt3_eid: '%3B111111111111111%7C2138210064900146323',
        wt3_sid: '%3B111111111111111',
        webtrekkOptOut: '1',
      },
      allowed,
    );
    expect(header).toBe(
      'wtstp_eid=2157840760747614879; wteid_111111111111111=4138210064900146323; wtsid_111111111111111=4138210064900146323; wt3_eid=%3B111111111111111%7C2138210064900146323; wt3_sid=%3B111111111111111',
    );
  });

  it('forwards nothing when no Mapp cookie is present, and refuses unsafe values', () => {
    expect(mappCookieHeader({ session: 'abc' }, allowed)).toBeUndefined();
    expect(mappCookieHeader({ wtstp_eid: 'a;b', wt3_eid: 'x y', wt3_sid: 'q"' }, allowed)).toBeUndefined();
  });

  it('filters Set-Cookie by the allowlist and rewrites the domain to the site', () => {
    const rewritten = rewriteSetCookies(
      [
        'wteid_111111111111111=4138210064900146323; Domain=.wt-eu02.net; Path=/; Max-Age=15552000; Secure; SameSite=None',
        'tracker_session=1; Domain=.wt-eu02.net; Path=/',
        'wteid_999999999999999=4; Path=/',
        'wtsid_111111111111111=4138210064900146323; domain = wt-eu02.net; Path=/; HttpOnly',
      ],
      allowed,
      'shop.example.com',
    );
    expect(rewritten).toEqual([
      'wteid_111111111111111=4138210064900146323; Path=/; Max-Age=15552000; Secure; SameSite=None; Domain=shop.example.com',
      'wtsid_111111111111111=4138210064900146323; Path=/; HttpOnly; Domain=shop.example.com',
    ]);
  });

  it('makes relayed cookies host-only when the site has no cookie domain', () => {
    expect(rewriteSetCookies(['wt3_eid=%3B1; Domain=.webtrekk.net; Path=/'], allowed)).toEqual(['wt3_eid=%3B1; Path=/']);
  });
});
