import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './lib/child.mjs';
import { pageHeaders } from './profile.mjs';
const BENCH = new URL('.', import.meta.url).pathname;
const [framework = 'koa', amount = '40000'] = process.argv.slice(2);
const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
const { port: sinkPort } = await sink.call('open', { name: 'x', ids: false });
const servers = {};
for (const v of ['bare', 'batch', 'direct', 'spool']) servers[v] = await startChild(join(BENCH, 'lib/app-server.mjs'), [framework, v, `http://127.0.0.1:${sinkPort}`, mkdtempSync(join(tmpdir(), 'sp-'))]);
for (let round = 0; round < 2; round++)
for (const mode of ['returning', 'new'])
for (const v of Object.keys(servers)) {
  const s = servers[v];
  const before = await s.call('cpu');
  const sinkBefore = await sink.call('cpu');
  const r = await autocannon({ url: `http://127.0.0.1:${s.info.port}/`, headers: pageHeaders(mode), connections: 50, amount: Number(amount) });
  const after = await s.call('cpu');
  const sinkAfter = await sink.call('cpu');
  const us = (after.cpuUs - before.cpuUs) / (after.served - before.served);
  const sinkUs = (sinkAfter.cpuUs - sinkBefore.cpuUs) / (after.served - before.served);
  console.log(`${framework} ${v.padEnd(6)} ${mode.padEnd(9)} ${us.toFixed(1)} µs CPU/request, sink ${sinkUs.toFixed(1)} µs (user ${((after.userUs-before.userUs)/(after.served-before.served)).toFixed(1)}, sys ${((after.systemUs-before.systemUs)/(after.served-before.served)).toFixed(1)}), ${Math.round(r.requests.average)} req/s`);
}
for (const s of Object.values(servers)) { await s.call('stop'); await s.kill(); }
await sink.kill();
