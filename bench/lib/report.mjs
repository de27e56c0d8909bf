/** Turns the benchmark results into BENCHMARKS.md (markdown) text. */
import { LABELS, describeSettings, SUBJECTS } from './peers-config.mjs';
import { fmt, mib, ratio } from './stats.mjs';
import { MODE_LABELS, MODES, VARIANT_LABELS } from './overhead.mjs';

const ms = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)} ms`);
const signedMs = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms`);
const pass = (ok) => (ok ? 'met' : '**missed**');

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Hits that reached the sink (or the spool files) versus pages served. */
function hitsDelivered(fw, variant, sinkStats) {
  const stopped = fw.stopped[variant];
  if (variant === 'bare') return '–';
  const got = variant === 'spool' ? stopped.spoolLines : sinkStats?.[`${fw.framework}-${variant}`]?.lines;
  return `${fmt(got)} / ${fmt(stopped.served)}`;
}

/** Issue 13's targets (kept in step with bench/run.mjs). */
const TARGETS = { express: { returning: 0.92, new: 0.88 }, koa: { returning: 0.7, new: 0.6 } };

export function headline(results) {
  const rows = [];
  for (const fw of results.overhead ?? []) {
    const name = fw.framework === 'express' ? 'Express' : 'Koa';
    for (const mode of MODES) {
      const m = fw.modes[mode];
      const target = TARGETS[fw.framework][mode];
      rows.push([`${name} + batch, ${mode === 'new' ? 'new visitor per request' : 'returning visitors'}: throughput vs bare`, ratio(m.ratioToBare.batch), `≥ ${target.toFixed(2)}×`, pass(m.ratioToBare.batch >= target)]);
      rows.push([`${name} + spool vs + batch, ${mode === 'new' ? 'new visitors' : 'returning'}`, ratio(m.ratioToBare.spool / m.ratioToBare.batch), '≥ 0.95×', pass(m.ratioToBare.spool / m.ratioToBare.batch >= 0.95)]);
    }
    if (fw.framework === 'express') rows.push(['Express + direct (returning): throughput vs bare', ratio(fw.modes.returning.ratioToBare.direct), '≥ 0.60×', pass(fw.modes.returning.ratioToBare.direct >= 0.6)]);
    const addedP99 = fw.latency.batch.p99 - fw.latency.bare.p99;
    const sustained = fw.latency.batch.achievedRps >= 0.97 * fw.rate;
    rows.push([
      `${name} + batch: added p99 at ${fmt(fw.rate)} req/s (half the bare maximum)`,
      sustained ? signedMs(addedP99) : `${signedMs(addedP99)} (rate not sustained: ${fmt(fw.latency.batch.achievedRps)} req/s)`,
      '≤ 1 ms',
      sustained ? pass(addedP99 <= 1) : addedP99 <= 1 ? 'met, not like for like' : pass(false),
    ]);
  }
  for (const [key, r] of Object.entries(results.requestPath?.results ?? {})) {
    rows.push([`In process, ${key.replace('/', ', ')} visitors: server CPU added per page view (batch / spool / direct)`, `+${r.addedUs.batch.toFixed(1)} / +${r.addedUs.spool.toFixed(1)} / +${r.addedUs.direct.toFixed(1)} µs (bare ${r.usPerRequest.bare.toFixed(1)} µs)`, '–', '–']);
  }
  const tp = results.throughput;
  if (tp) {
    const ours = tp.summary['mapp-batch'];
    rows.push([`Hit throughput, ours (batch)`, `${fmt(ours.eventsPerSec)} events/s, ${ours.cpuUsPerEvent.toFixed(1)} µs CPU/event`, '–', '–']);
    for (const peer of SUBJECTS.filter((s) => s !== 'mapp-batch')) {
      const p = tp.summary[peer];
      rows.push([`${LABELS[peer]} vs ours: events/s, CPU/event, peak RSS`, `${ratio(p.eventsPerSec / ours.eventsPerSec)}, ${ratio(p.cpuUsPerEvent / ours.cpuUsPerEvent)}, ${ratio(p.maxRssBytes / ours.maxRssBytes)}`, '–', '–']);
    }
  }
  const out = results.outage;
  if (out) {
    const s = out.summary['mapp-spool'];
    const ok = s.lost === 0 && s.dups === 0;
    rows.push([`Outage ${out.downMs / 1000} s, ours with spool: lost / duplicated`, `${fmt(s.lost)} / ${fmt(s.dups)}${s.replay ? ` (after restart replay of ${fmt(s.replay.replayed)})` : ''}`, '0 / 0', pass(ok)]);
    const b = out.summary['mapp-batch'];
    rows.push([`Outage, ours batch without spool: lost / duplicated`, `${fmt(b.lost)} / ${fmt(b.dups)}`, '–', '–']);
  }
  if (results.burst) {
    for (const row of Object.values(results.burst.summary)) {
      const ok = row.delivered === results.burst.n;
      rows.push([`Burst of ${fmt(results.burst.n)} at defaults, ${fmt(row.visitors)} visitor${row.visitors === 1 ? '' : 's'}, ${row.yieldEvery === 0 ? 'tight loop' : 'yielding'}: delivered`, `${fmt(row.delivered)}`, fmt(results.burst.n), pass(ok)]);
    }
  }
  const fl = results.fleet?.summary;
  if (fl) {
    rows.push([`Fleet mode end to end: app → Redis → shipper → sink`, `${fmt(fl.redis.endToEndHitsPerSec)} hits/s (batch, app → sink: ${fmt(fl.batch.endToEndHitsPerSec)})`, '≥ 20,000 hits/s', pass(fl.redis.endToEndHitsPerSec >= 20_000)]);
    rows.push([`Fleet mode: app-side CPU per hit vs the batch transport`, `${fl.redis.appCpuUsPerHit.toFixed(2)} vs ${fl.batch.appCpuUsPerHit.toFixed(2)} µs`, '≤ batch', pass(fl.redis.appCpuUsPerHit <= fl.batch.appCpuUsPerHit)]);
  }
  const hc = results.hitCost;
  if (hc) {
    for (const kind of ['simple', 'heavy']) {
      rows.push([`Core: build + encode one ${kind} page-view hit`, `${fmt(hc[kind].buildLineNs)} ns (${ratio(hc[kind].buildLineNs / hc[kind].jsonNs)} JSON.stringify)`, '–', '–']);
    }
  }
  const im = results.importRate;
  if (im) {
    for (const [format, row] of Object.entries(im.parse)) {
      const perCpu = row.linesPerCpuSec ?? row.linesPerSec;
      rows.push([`mapp-s2s import, ${format} log: lines parsed and turned into hits`, `${fmt(perCpu)} lines per CPU-second (${fmt(row.linesPerSec)} lines/s by the wall clock, load ${im.loadavg?.[0]?.toFixed(1) ?? 'n/a'})`, `≥ ${fmt(im.target)} lines/s`, pass(perCpu >= im.target)]);
    }
    rows.push([`mapp-s2s import of a ${(im.memory.fileBytes / 1048576).toFixed(0)} MB log end to end: peak RSS, page views arrived`, `${(im.memory.peakRssBytes / 1048576).toFixed(0)} MB, ${fmt(im.memory.delivered)} / ${fmt(im.memory.pageViews)}`, 'flat; all', pass(im.memory.delivered === im.memory.pageViews)]);
  }
  return table(['Measure', 'Result', 'Target', 'Status'], rows);
}

export function renderMarkdown(results, { chartFile, outageFile, command }) {
  const m = results.machine;
  const out = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(`Generated by \`${command}\` (bench/run.mjs) on ${m.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, in ${fmt(results.elapsedSec)} s. Every comparison ran side by side in the same run and is given as a ratio, so a noisy machine shifts both sides alike. Rerun it yourself: \`bash scripts/setup.sh && pnpm bench\`.`);
  const dates = Object.entries(results.partDates ?? {});
  if (new Set(dates.map(([, date]) => date)).size > 1) {
    const utc = (date) => date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    out.push('');
    out.push(`Parts come from more than one run (\`pnpm bench --parts=… --merge\`), on the same machine: ${dates.map(([part, date]) => `part ${part} ${utc(date)}`).join(', ')}. Comparisons are only made within a part.`);
  }
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores available (${m.logicalCpus} logical CPUs)`],
        ['RAM', `${m.ramGiB.toFixed(1)} GiB (${m.freeRamGiB.toFixed(1)} GiB free at start)`],
        ['Load average at start', m.loadAvg.map((v) => v.toFixed(2)).join(', ')],
        ['OS', m.os],
        ['Node.js', m.node],
        ['Packages', Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
      ],
    ),
  );
  out.push('');
  out.push('## Headline');
  out.push('');
  out.push(headline(results));
  out.push('');
  out.push(`![Benchmark chart](${chartFile})`);
  out.push('');
  if (results.notes?.length) {
    out.push('### Problems, missed targets, and why');
    out.push('');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }

  if (results.overhead) {
    const o = results.config.overhead;
    out.push('## 1. Middleware overhead');
    out.push('');
    out.push(
      `A hello-world HTML page (one \`GET /\`) served by bare Express ${m.versions.express} / Koa ${m.versions.koa}, and by the same app with \`mappTracking()\` in front, in each transport (default options, \`trustProxy: false\`). ` +
        `Each server is its own child process; \`direct\` and \`batch\` send to a minimal local sink (another process, answering 200 / GIF and only counting lines), \`spool\` writes files. ` +
        `Requests look like a browser navigation (Chrome User-Agent, \`Accept: text/html\`, \`Sec-Fetch-Dest: document\`), so every page becomes a hit, in two visitor modes: *returning* visitors send a \`wtstp_eid\` cookie; a *new* visitor per request sends none, so every response mints an eid and carries a \`Set-Cookie\`. ` +
        `autocannon (${o.connections} connections) runs in the parent process after a ${o.warmup} s warm-up per server and mode; ${o.rounds} rounds of ${o.duration} s per variant and mode, rotating the order of the variants each round. *Median req/s* is the median of the rounds; *ratio to bare* is the median of the per-round ratios (each variant against bare of the same round and mode). ` +
        `*Server CPU µs/request* is the server process's \`process.cpuUsage()\` over the throughput rounds divided by the pages it served. On this machine autocannon, the server and the sink share two cores, so the sink's work (receiving the hits) also takes CPU from the server: part 1b measures the server's own cost without that.`,
    );
    out.push('');
    for (const fw of results.overhead) {
      const name = fw.framework === 'express' ? 'Express' : 'Koa';
      for (const mode of MODES) {
        const md = fw.modes[mode];
        out.push(`### ${name}: throughput, ${MODE_LABELS[mode]}`);
        out.push('');
        out.push(
          table(
            ['Variant', 'Median req/s', 'Ratio to bare', 'Server CPU µs/request', 'Added CPU µs/request', 'Rounds (req/s)'],
            fw.variants.map((v) => [
              v === 'bare' ? `bare ${name}` : `+ mappTracking, ${VARIANT_LABELS[v]}`,
              fmt(md.medianRps[v]),
              ratio(md.ratioToBare[v]),
              md.cpuUsPerRequest[v].toFixed(1),
              v === 'bare' ? '–' : `+${(md.cpuUsPerRequest[v] - md.cpuUsPerRequest.bare).toFixed(1)}`,
              md.rps[v].map((x) => fmt(x)).join(', '),
            ]),
          ),
        );
        out.push('');
      }
      out.push(`Hits delivered / pages served over the whole run (both modes, warm-up and latency rounds included): ${fw.variants.filter((v) => v !== 'bare').map((v) => `${VARIANT_LABELS[v]} ${hitsDelivered(fw, v, results.overheadSink)}`).join(', ')}. Errors: ${fw.variants.map((v) => `${v} ${fmt(fw.errors[v])}`).join(', ')}.${fw.framework === 'koa' ? ' `direct` is measured on Express only (bench/lib/overhead.mjs `variantsOf`).' : ''}`);
      out.push('');
      out.push(`### ${name}: latency at a fixed ${fmt(fw.rate)} req/s (half the bare maximum), returning visitors`);
      out.push('');
      out.push(`autocannon \`overallRate\`, ${o.latencyRounds} rounds of ${o.latencyDuration} s per variant in rotating order, median of the rounds' percentiles; every response time is recorded at full precision through autocannon's \`response\` event (its own histogram has 1 ms steps); the first 10% of responses are dropped as warm-up.`);
      out.push('');
      out.push(
        table(
          ['Variant', 'p50', 'p99', 'Added p50', 'Added p99', 'Achieved req/s', 'Samples'],
          fw.variants.map((v) => {
            const l = fw.latency[v];
            const b = fw.latency.bare;
            return [v === 'bare' ? `bare ${name}` : VARIANT_LABELS[v], ms(l.p50), ms(l.p99), v === 'bare' ? '–' : signedMs(l.p50 - b.p50), v === 'bare' ? '–' : signedMs(l.p99 - b.p99), fmt(l.achievedRps), fmt(l.samples)];
          }),
        ),
      );
      out.push('');
    }
  }

  if (results.requestPath) {
    const rp = results.requestPath;
    out.push('## 1b. Server CPU per page view, in process');
    out.push('');
    out.push(
      `The same apps and options as part 1, but requests run through the real \`IncomingMessage\`/\`ServerResponse\` over a socket that swallows the response (bench/lib/inproc.mjs): no load generator, no kernel networking and no sink share the measurement, only this process's CPU (\`process.cpuUsage()\`, libuv threads included) counts. Hits really go out (\`batch\` and \`direct\` to the sink over loopback, \`spool\` to files). ${fmt(rp.requests)} requests per variant and round, 8 in flight, ${rp.rounds} rounds rotating the order; *added* is the median of the per-round differences to bare. This is the in-server cost of tracking per request; compare it with part 4, the cost of building one hit in a tight loop.`,
    );
    out.push('');
    out.push(
      table(
        ['App, visitors', 'Bare µs/request', '+ batch', '+ spool', '+ direct'],
        Object.values(rp.results).map((r) => [`${r.framework === 'express' ? 'Express' : 'Koa'}, ${r.mode}`, r.usPerRequest.bare.toFixed(1), `+${r.addedUs.batch.toFixed(1)} µs`, `+${r.addedUs.spool.toFixed(1)} µs`, `+${r.addedUs.direct.toFixed(1)} µs`]),
      ),
    );
    out.push('');
  }

  if (results.throughput) {
    const tp = results.throughput;
    const ours = tp.summary['mapp-batch'];
    out.push('## 2. Hit throughput versus peer SDKs');
    out.push('');
    out.push(
      `${fmt(tp.n)} events tracked from one Node process per SDK (a fresh child process each run), into its own listener of the local sink, which answers each SDK the way its backend does and counts unique event ids. ` +
        `The loop tracks 1,000 events per macrotask (so timers and sockets still run) and then awaits the SDK's flush/close; events/s = N / (time until close resolved). ` +
        `CPU time is \`process.cpuUsage()\` (user + system) of the tracking process over the same span, divided by N; peak RSS is \`process.resourceUsage().maxRSS\`. ` +
        `${tp.runs} runs per SDK in rotating order; medians. Every event is the same: one user id (1,000 distinct), one event name, one numeric property (the id).`,
    );
    out.push('');
    out.push(
      table(
        ['SDK', 'Events/s', 'Ratio', 'CPU µs/event', 'Ratio', 'Peak RSS', 'Ratio', 'Received (unique / dup)', 'Requests', 'Bytes/event on the wire'],
        SUBJECTS.map((s) => {
          const p = tp.summary[s];
          return [LABELS[s], fmt(p.eventsPerSec), ratio(p.eventsPerSec / ours.eventsPerSec), p.cpuUsPerEvent.toFixed(1), ratio(p.cpuUsPerEvent / ours.cpuUsPerEvent), mib(p.maxRssBytes), ratio(p.maxRssBytes / ours.maxRssBytes), `${fmt(p.unique)} / ${fmt(p.dups)}`, fmt(p.requests), fmt(p.bodyBytesPerEvent)];
        }),
      ),
    );
    out.push('');
    out.push('Ratios are to mapp-s2s: for events/s higher is better, for CPU and RSS lower is better.');
    out.push('');
    out.push('Settings each SDK got (throughput run):');
    out.push('');
    for (const s of SUBJECTS) out.push(`- **${LABELS[s]}**: ${describeSettings(s, 'throughput', tp.n)}.`);
    out.push('');
  }

  if (results.outage) {
    const ot = results.outage;
    out.push('## 3. Outage behaviour');
    out.push('');
    out.push(
      `All trackers run at once, each in its own process, each tracking ${fmt(ot.rate)} events/s at a steady pace. After ${ot.beforeMs / 1000} s their sink listeners go down (connections refused, keep-alive sockets reset) for ${ot.downMs / 1000} s, then come back; events keep coming for ${ot.afterMs / 1000} s more, then production stops and we wait up to ${ot.drainMs / 1000} s for the rest. ` +
        `RSS is read from \`/proc/<pid>/status\` every ${ot.sampleMs} ms. *Backlog* = events tracked before the sink came back that had not arrived yet; *drained* = time from the return until all of them arrived (by unique id). *Lost* = tracked − unique ids received; *duplicated* = ids received more than once. ` +
        `For the write-ahead log (batch + spool), give-ups stay in the spool by design and are sent by the next process start: the run restarts it on the same folder and counts what the replay delivers.`,
    );
    out.push('');
    out.push(`![RSS during the outage](${outageFile})`);
    out.push('');
    out.push(
      table(
        ['Tracker', 'Tracked', 'Backlog at return', 'Backlog drained after', 'Received unique', 'Lost', 'Duplicated', 'RSS before → at return → peak'],
        Object.entries(ot.summary).map(([s, r]) => [
          LABELS[s],
          fmt(r.produced),
          fmt(r.backlog),
          r.drainSec !== undefined
            ? `${r.drainSec.toFixed(1)} s`
            : r.replay?.replaySec !== undefined
              ? `after a restart (replay ${r.replay.replaySec.toFixed(1)} s)${r.lastBacklogArrivalSec !== undefined ? `; before it, ${fmt(r.backlogDelivered)} arrived by ${r.lastBacklogArrivalSec.toFixed(1)} s` : ''}`
              : `never: ${fmt(r.backlogDelivered)} of ${fmt(r.backlog)}${r.lastBacklogArrivalSec !== undefined ? `, the last at ${r.lastBacklogArrivalSec.toFixed(1)} s` : ''}`,
          fmt(r.unique),
          fmt(r.lost),
          fmt(r.dups),
          `${mib(r.rssStart)} → ${mib(r.rssAtUp)} → ${mib(r.peakRss)}`,
        ]),
      ),
    );
    out.push('');
    const notes = Object.entries(ot.summary).filter(([, r]) => r.stats?.dropped && Object.keys(r.stats.dropped).length);
    for (const [s, r] of notes) out.push(`- ${LABELS[s]} reported drops: ${Object.entries(r.stats.dropped).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}.`);
    const sp = ot.summary['mapp-spool'];
    if (sp?.replay) out.push(`- ${LABELS['mapp-spool']}: ${fmt(sp.uniqueBeforeClose)} unique before its process closed; the restart on the same spool folder replayed ${fmt(sp.replay.replayed)} more${sp.replay.replaySec !== undefined ? ` in ${sp.replay.replaySec.toFixed(1)} s` : ''}.`);
    out.push('');
    out.push('Settings in the outage run (each SDK keeps its default queue bound, as in production):');
    out.push('');
    for (const s of Object.keys(ot.summary)) out.push(`- **${LABELS[s]}**: ${describeSettings(s, 'outage', 0)}.`);
    out.push('');
  }

  if (results.hitCost) {
    const hc = results.hitCost;
    out.push('## 4. Cost per hit in the core');
    out.push('');
    out.push(
      `One process, built \`@mapp-s2s/core\` (dist). \`buildLine()\` = build and encode one page-view line from its inputs (page name, time, referrer, eid, IP, User-Agent, page URL, client hints, hit data). ` +
        `\`trackPageView()\` = the whole core path for one request context: consent, visitor id, page-view decision, page name, client info, the line, and the hand-over to a transport that accepts and forgets. ` +
        `Floor: \`JSON.stringify\` of the same input. Each figure: warm-up, then ${hc.samples} samples of ~${hc.targetMs} ms, the four measurements of a hit interleaved (A B C D, A B C D, ...) so JIT and GC drift hit all alike; median ns per operation. ` +
        `*Simple*: a product page, no hit data. *Heavy*: an order confirmation with 5 products (categories, parameters, variant, position), 10 page parameters, 5 content groups, session, customer, campaign and order fields, and 3 client hints.`,
    );
    out.push('');
    out.push(
      table(
        ['Hit', 'Line bytes', '`buildLine()` ns', '`JSON.stringify(input)` ns', 'Ratio', '`trackPageView()` ns', '`JSON.stringify({ ctx, data })` ns', 'Ratio'],
        ['simple', 'heavy'].map((k) => [k, fmt(hc[k].lineBytes), fmt(hc[k].buildLineNs), fmt(hc[k].jsonNs), ratio(hc[k].buildLineNs / hc[k].jsonNs), fmt(hc[k].trackPageViewNs), fmt(hc[k].trackJsonNs), ratio(hc[k].trackPageViewNs / hc[k].trackJsonNs)]),
      ),
    );
    out.push('');
  }
  if (results.burst) {
    const b = results.burst;
    const before = results.burstBefore;
    out.push('## 5. A burst at default settings (issue 11)');
    out.push('');
    out.push(
      `One process tracks ${fmt(b.n)} events with \`createTracker()\` from \`@mapp-s2s/core/node\` and **no options** (defaults only), for 1 visitor (one ordering lane) and for 1,000 visitors, then calls \`close()\`; the sink counts unique event ids. ` +
        `*Tight loop*: one \`await tracker.track()\` after the other, nothing else runs until the loop ends (the whole burst sits in memory). *Yield every 1,000*: the loop lets sockets and timers run every 1,000 events, as an app tracking from many requests would. ` +
        `Events/s = events / (loop + close()); CPU µs per event covers the whole process (tracking, encoding, sending). Median of ${b.runs} runs; delivered is the worst run.` +
        (before ? ` Before this change most events were evicted from the queue without a word, so its events/s and CPU/event describe a run that did far less work. **Before** = the same burst against the build of commit ${before.commit} (before this change), measured with \`node bench/burst-baseline.mjs\` on ${before.date.slice(0, 10)} on this machine kind (bench/baseline/${before.name}.json).` : ''),
    );
    out.push('');
    const rows = Object.entries(b.summary).map(([key, row]) => {
      const old = before?.summary?.[key];
      return [
        `${fmt(row.visitors)} visitor${row.visitors === 1 ? '' : 's'}`,
        row.yieldEvery === 0 ? 'tight loop' : `yield every ${fmt(row.yieldEvery)}`,
        old ? `${fmt(old.delivered)} / ${fmt(b.n)} (${old.warnings.length === 0 ? 'no warning' : `${old.warnings.length} warnings`})` : 'n/a',
        `**${fmt(row.delivered)} / ${fmt(b.n)}**`,
        `${fmt(row.requests)}${old ? ` (before ${fmt(old.requests)})` : ''}`,
        `${fmt(row.eventsPerSec)}${old ? ` (before ${fmt(old.eventsPerSec)})` : ''}`,
        `${row.cpuUsPerEvent.toFixed(1)}${old ? ` (before ${old.cpuUsPerEvent.toFixed(1)})` : ''}`,
      ];
    });
    out.push(table(['Visitors', 'Producer', 'Delivered before', 'Delivered now', 'POSTs', 'Events/s', 'CPU µs / event'], rows));
    out.push('');
  }
  if (results.profiles) {
    out.push('## 6. Where the CPU goes: profiles before and after');
    out.push('');
    out.push(
      'CPU profiles (`--cpu-prof`, bench/profile.mjs) of the `batch` servers of part 1 under autocannon load (50 connections), taken by this run (*after*) and, the same way, against the build of commit bc95e47 before the work on the request path (*before*, bench/profiles/*-before.json). ' +
        '*µs per request* = samples × sampling interval / requests served while profiling, per part of the process; it is wall-clock sampling, so on this shared machine it runs higher than `process.cpuUsage()` (part 1), and only the before/after comparison within a row is meaningful. The tables list the top self-time entries of the tracking code (core, express, koa).',
    );
    out.push('');
    const per = (p, count) => (count * p.summary.intervalUs) / p.served;
    for (const [key, { before, after }] of Object.entries(results.profiles)) {
      if (!after) continue;
      out.push(`### ${key.replace('-', ', ')} visitors: ${fmt(after.rps)} req/s now${before ? `, ${fmt(before.rps)} before` : ''}`);
      out.push('');
      const categories = [...new Set([...Object.keys(after.summary.categories), ...Object.keys(before?.summary.categories ?? {})])].filter((c) => c !== 'idle');
      out.push(table(['Part of the process', 'µs per request before', 'µs per request now'], categories.map((c) => [c, before ? per(before, before.summary.categories[c] ?? 0).toFixed(1) : 'n/a', per(after, after.summary.categories[c] ?? 0).toFixed(1)])));
      out.push('');
      const rows = (p) => (p?.summary.oursTop ?? []).slice(0, 12).map((row) => `${row.percent.toFixed(1)} % \`${row.entry.replace(/ packages\/[^ ]+$/, '')}\``);
      const b = rows(before);
      const a = rows(after);
      out.push(table(['Top tracking-code self time before', 'Top tracking-code self time now'], Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [b[i] ?? '', a[i] ?? ''])));
      out.push('');
    }
  }
  if (results.fleet) {
    const f = results.fleet;
    out.push('## 7. Fleet mode: app → Redis Streams → shipper → sink (issue 15)');
    out.push('');
    if (f.measured && f.measured.date !== results.machine.date) {
      out.push(`Measured by \`${f.measured.command}\` on ${f.measured.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (${f.measured.machine}), separately from the parts above.`);
      out.push('');
    }
    out.push(
      `${fmt(f.n)} events per run (part 2's event, 1,000 visitors by \`ceid\`), tracked as fast as the event loop allows (1,000 per macrotask) by an app process, ${f.runs} A/B rounds in alternating order, medians. ` +
        '*batch*: the app POSTs to the sink itself (`transport: \'batch\'`, maxBatchSize 500, concurrency 2). *redis*: the app appends to a local `redis-server` (AOF on) with `redisStreamTransport` (4 shards) while a shipper process (`createRedisShipper`, batchSize 5000) delivers to the sink. ' +
        '*End to end* runs from the first `track()` to the moment the sink has counted every event id once. *App CPU* is the app process\'s `process.cpuUsage()` over tracking and `close()`. The sink is the benchmarks\' local Mapp-compatible sink (counts ids, stores nothing), not `@mapp-s2s/collector` with its SQLite store.',
    );
    out.push('');
    const row = (label, r) => [label, fmt(r.endToEndHitsPerSec), r.appCpuUsPerHit.toFixed(2), r.shipperCpuUsPerHit === undefined ? '–' : r.shipperCpuUsPerHit.toFixed(2), r.redisCpuUsPerHit === undefined ? '–' : r.redisCpuUsPerHit.toFixed(2), `${fmt(r.unique)} / ${fmt(f.n)}`, fmt(r.dups)];
    out.push(table(['Transport', 'End to end, hits/s', 'App CPU µs / hit', 'Shipper CPU µs / hit', 'redis-server CPU µs / hit', 'Delivered', 'Duplicates'], [row('batch (app → sink)', f.summary.batch), row('redis (app → Redis → shipper → sink)', f.summary.redis)]));
    out.push('');
  }
  if (results.importRate) {
    const im = results.importRate;
    const mb = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;
    out.push('## 8. Importing access logs (`mapp-s2s import`, issue 17)');
    out.push('');
    out.push(
      `The built CLI imports a generated access log (${fmt(im.logLines)} lines, ${mb(im.logBytes)}: 300 visits under way at any moment by 20,000 visitors on six browsers, a sixth of them on IPv6; 45 % asset requests, 10 % bots and curl, 404s, redirects, POSTs, a malformed line every 50,000), each run in a fresh child process (bench/lib/import-bench.mjs). ` +
        `*Parse + build* = \`--dry-run\`: every line read, parsed, decided by the core's page-view rules and, for a page view, built into its hit line by \`tracker.trackRecordedPageView()\`; nothing sent. Median of ${im.rounds} runs. ` +
        `*Custom* = the nginx \`log_format\` \`${im.customFormat}\`. *End to end* = the same log with the batch transport to the local sink over loopback. *Large log* = a ${mb(im.memory.fileBytes)} log sent end to end while the parent samples the child's RSS from /proc, with the V8 heap capped at ${im.memory.heapCapMb ?? '–'} MB (a leak would end the run out of memory); progress is committed to a state file as it goes. ` +
        `*Lines/s* is wall-clock; *per CPU-second* divides by the child's own CPU time (user + system), which other processes on the shared machine do not stretch: the target is judged on it, both are shown.` +
        (im.date ? ` Measured ${im.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (\`pnpm bench --parts=8\`), load average ${im.loadavg.map((l) => l.toFixed(1)).join(' / ')} at the end.` : ''),
    );
    out.push('');
    const perCpu = (row) => (row.linesPerCpuSec === undefined ? '–' : fmt(row.linesPerCpuSec));
    const rows = Object.entries(im.parse).map(([format, row]) => [`parse + build, ${format}`, fmt(row.linesPerSec), `**${perCpu(row)}**`, `${fmt(row.linesRead)} / ${fmt(row.pageViews)}`, '–', mb(Math.max(...row.runs.map((r) => r.peakRssBytes))), pass((row.linesPerCpuSec ?? row.linesPerSec) >= im.target)]);
    rows.push(['end to end (batch → sink)', fmt(im.endToEnd.linesPerSec), perCpu(im.endToEnd), `${fmt(im.endToEnd.linesRead)} / ${fmt(im.endToEnd.pageViews)}`, `${fmt(im.endToEnd.delivered)} in ${fmt(im.endToEnd.requests)} POSTs`, mb(im.endToEnd.peakRssBytes), pass(im.endToEnd.delivered === im.endToEnd.pageViews)]);
    rows.push([`large log, ${mb(im.memory.fileBytes)} end to end`, fmt(im.memory.linesPerSec), '–', `${fmt(im.memory.linesRead)} / ${fmt(im.memory.pageViews)}`, fmt(im.memory.delivered), `${mb(im.memory.peakRssBytes)} (at start ${mb(im.memory.startRssBytes ?? 0)})`, pass(im.memory.delivered === im.memory.pageViews)]);
    out.push(table(['Run', 'Lines/s', 'Lines per CPU-second', 'Lines / page views', 'Arrived at the sink', 'Peak RSS', `Status (≥ ${fmt(im.target)} lines per CPU-second; all arrived)`], rows));
    out.push('');
  }
  out.push('Raw numbers of this run: `bench/results.json`.');
  out.push('');
  return out.join('\n');
}
