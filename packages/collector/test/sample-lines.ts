/** Realistic hit lines, as a server-side tracker sends them (docs/protocol.md §2–§5). */
const now = 1764201600000;
const ua = encodeURIComponent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36');

export const VISITOR_A = '8176420160012345678';
export const VISITOR_B = '8176420160087654321';

export const PAGE_VIEW = `wt?p=600,shop.example.com%2F,,,,,${now},0,,&eid=${VISITOR_A}&one=1&X-WT-IP=203.0.113.7&X-WT-UA=${ua}&pu=https%3A%2F%2Fshop.example.com%2F&la=en&cp12=summer&cg1=home&pf=1&cs801=mapp-s2s-0.1.0&cs802=Node`;
export const PRODUCT_VIEW = `wt?p=600,shop.example.com%2Fproducts%2Fmug,,,,,${now + 1000},1,,&eid=${VISITOR_A}&X-WT-IP=203.0.113.7&X-WT-UA=${ua}&ba=mug-42&co=12.50&qn=1&st=view&ca1=kitchen`;
export const EVENT = `wt?p=600,shop.example.com%2Fcart,,,,,${now + 2000},2,,&eid=${VISITOR_B}&X-WT-IP=198.51.100.23&X-WT-UA=${ua}&ct=add_to_cart&ck5=button&ba=mug-42%3Btee-7&co=12.50%3B40.00&qn=1%3B2&st=add`;
export const ORDER = `wt?p=600,shop.example.com%2Fcheckout%2Fconfirmation,,,,,${now + 3000},1,,&eid=${VISITOR_B}&X-WT-IP=198.51.100.23&X-WT-UA=${ua}&ov=52.50&oi=ORD-1001&cr=EUR&ba=mug-42%3Btee-7&co=12.50%3B40.00&qn=1%3B2&st=conf&cb761=paypal&mc=wt_mc%253Dnewsletter.nov&mca=c&cc3=winter`;
export const ANONYMOUS = `wt?p=600,shop.example.com%2Fproducts,,,,,${now + 4000},0,,&nc=1&X-WT-IP=192.0.2.1&X-WT-UA=${ua}`;
/** Several problems at once: short p, bad eid, '+' for space, misaligned products, single-encoded mc. */
export const BROKEN = 'wt?p=600,bad+page&eid=123&ba=a%3Bb&co=1&mc=wt_mc%3Dx';
