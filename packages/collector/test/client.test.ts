import { describe, expect, it } from '@jest/globals';
import { hitSignals, parseClient, requestSignals, type ClientInfo, type ClientSignals } from '../src/client.js';

const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const EDGE_WIN = `${CHROME_WIN} Edg/124.0.0.0`;
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const CHROME_ANDROID_TABLET = 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const SAFARI_IPAD = 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
const SAMSUNG_TV = 'Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36';
const PLAYSTATION = 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15';

const BRANDS = '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"';
const FULL = '"Chromium";v="124.0.6367.91", "Google Chrome";v="124.0.6367.91", "Not-A.Brand";v="99.0.0.0"';
const EDGE_FULL = '"Not/A)Brand";v="8.0.0.0", "Chromium";v="124.0.6367.119", "Microsoft Edge";v="124.0.2478.80"';

describe('parseClient: user agents', () => {
  it.each<[string, string, Partial<ClientInfo>]>([
    ['Chrome on Windows', CHROME_WIN, { browser: 'Chrome', browserVersion: '124.0.0.0', os: 'Windows', osVersion: '10', device: 'desktop' }],
    ['Edge on Windows', EDGE_WIN, { browser: 'Edge', browserVersion: '124.0.0.0', os: 'Windows', device: 'desktop' }],
    ['Chrome on an Android phone (reduced UA)', CHROME_ANDROID, { browser: 'Chrome', os: 'Android', osVersion: '10', device: 'mobile', model: 'K' }],
    ['Safari on an iPhone', SAFARI_IPHONE, { browser: 'Mobile Safari', browserVersion: '17.4', os: 'iOS', osVersion: '17.4', device: 'mobile', model: 'iPhone' }],
    ['Safari on an iPad', SAFARI_IPAD, { browser: 'Mobile Safari', os: 'iOS', device: 'tablet', model: 'iPad' }],
    ['Firefox on a Mac', FIREFOX_MAC, { browser: 'Firefox', browserVersion: '125.0', os: 'Mac OS', osVersion: '10.15', device: 'desktop' }],
    ['Firefox on Ubuntu', FIREFOX_LINUX, { browser: 'Firefox', browserVersion: '126.0', os: 'Ubuntu', device: 'desktop' }],
    ['a Samsung smart TV', SAMSUNG_TV, { os: 'Tizen', device: 'smarttv' }],
    ['a PlayStation 5', PLAYSTATION, { os: 'PlayStation', device: 'console' }],
  ])('%s', (_label, userAgent, expected) => {
    expect(parseClient({ userAgent }, 'hit')).toMatchObject({ ...expected, source: 'hit' });
  });

  it.each([['curl/8.5.0'], ['node'], ['python-requests/2.31.0']])('names no browser, OS or device type for %s', (userAgent) => {
    expect(parseClient({ userAgent }, 'request')).toEqual({ device: 'unknown', source: 'request' });
  });

  it('has nothing to say without a user agent', () => {
    expect(parseClient(undefined, 'hit')).toEqual({ device: 'unknown', source: 'none' });
    expect(parseClient({ userAgent: '' }, 'request')).toEqual({ device: 'unknown', source: 'none' });
  });
});

describe('parseClient: client hints win where they are more precise', () => {
  it.each<[string, ClientSignals, Partial<ClientInfo>]>([
    ['the full version list gives the real Chrome version', { userAgent: CHROME_WIN, brands: BRANDS, fullVersionList: FULL }, { browser: 'Chrome', browserVersion: '124.0.6367.91' }],
    ['Sec-CH-UA alone keeps the user agent version (no more precise)', { userAgent: CHROME_WIN, brands: BRANDS }, { browser: 'Chrome', browserVersion: '124.0.0.0' }],
    ['the Edge brand, not Chromium, with GREASE skipped', { userAgent: EDGE_WIN, fullVersionList: EDGE_FULL }, { browser: 'Edge', browserVersion: '124.0.2478.80' }],
    ['a brand names a browser whose UA looks like Chrome (Brave)', { userAgent: CHROME_WIN, brands: '"Brave";v="124", "Chromium";v="124", "Not-A.Brand";v="99"' }, { browser: 'Brave', browserVersion: '124' }],
    ['platform version 15 is Windows 11 (the UA says 10)', { userAgent: CHROME_WIN, platform: '"Windows"', platformVersion: '"15.0.0"' }, { os: 'Windows', osVersion: '11' }],
    ['platform version 10 is Windows 10', { userAgent: CHROME_WIN, platform: '"Windows"', platformVersion: '"10.0.0"' }, { os: 'Windows', osVersion: '10' }],
    ['macOS with its real version (the UA freezes 10.15.7)', { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', platform: '"macOS"', platformVersion: '"14.4.1"' }, { os: 'macOS', osVersion: '14.4.1', device: 'desktop' }],
    ['the model hint replaces the reduced "K"', { userAgent: CHROME_ANDROID, platform: '"Android"', platformVersion: '"14.0.0"', mobile: '?1', model: '"Pixel 7"' }, { os: 'Android', osVersion: '14', device: 'mobile', model: 'Pixel 7' }],
    ['Sec-CH-UA-Mobile ?0 on Android without Mobile in the UA: a tablet', { userAgent: CHROME_ANDROID_TABLET, platform: '"Android"', mobile: '?0' }, { os: 'Android', device: 'tablet' }],
    ['Sec-CH-UA-Mobile ?1 makes a phone of an unknown device', { brands: BRANDS, platform: '"Android"', mobile: '?1' }, { browser: 'Chrome', browserVersion: '124', os: 'Android', device: 'mobile' }],
  ])('%s', (_label, signals, expected) => {
    expect(parseClient(signals, 'hit')).toMatchObject(expected);
  });
});

describe('reading the signals', () => {
  it('takes a hit\'s own X-WT-UA and X-WT-SEC-CH-UA* parameters', () => {
    const params = { 'X-WT-UA': CHROME_WIN, 'X-WT-SEC-CH-UA': BRANDS, 'X-WT-SEC-CH-UA-FULL-VERSION-LIST': FULL, 'X-WT-SEC-CH-UA-PLATFORM': '"Windows"', 'X-WT-SEC-CH-UA-PLATFORM-VERSION': '"15.0.0"', 'X-WT-SEC-CH-UA-MOBILE': '?0', 'X-WT-SEC-CH-UA-MODEL': '""' };
    expect(parseClient(hitSignals(params), 'hit')).toEqual({ browser: 'Chrome', browserVersion: '124.0.6367.91', os: 'Windows', osVersion: '11', device: 'desktop', source: 'hit' });
    expect(hitSignals({ p: '600,home' })).toBeUndefined();
  });

  it('takes a request\'s User-Agent and Sec-CH-UA* headers', () => {
    const signals = requestSignals({ 'user-agent': SAFARI_IPHONE, 'sec-ch-ua-platform': undefined });
    expect(parseClient(signals, 'request')).toMatchObject({ browser: 'Mobile Safari', device: 'mobile', source: 'request' });
  });
});
