import { runCollectorCommand } from './packages/cli/src/commands/collector.ts';
const t0 = performance.now();
const ctl = new AbortController();
const code = await runCollectorCommand(['--port', '0'], { signal: ctl.signal, stdout: { write() {} }, onListening: (url) => { import('node:child_process').then(cp => { cp.execSync(`curl -s ${url}/123451234512345/wt?p=600 -o /dev/null`); ctl.abort(); }); } });
const t = performance.now();
console.log('code', code, (process as any)._getActiveHandles().map((h: any) => h.constructor.name));
process.on('exit', () => console.log('exit after', Math.round(performance.now() - t)));
