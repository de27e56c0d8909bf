import type { FastifyPluginCallback, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { createNodePixelProxy, type NodePixelProxy, type PixelProxyOptions } from '@mapp-s2s/core/node';

/** Options of the `mappPixelProxy` plugin: every core pass-through option plus `onError`. */
export interface FastifyPixelProxyOptions extends PixelProxyOptions {
  /**
   * Requests to this path and below it are handled; register no routes of your own there.
   * @default '/mapp/pixel'
   */
  mountPath?: string;
  /**
   * Receives failures of the adapter itself (the browser still gets the GIF). Pass-through
   * outcomes (refusals, fallbacks) arrive at `onPixelEvent`.
   * @default one `logger.warn` per failure
   */
  onError?: (error: Error, request: FastifyRequest) => void;
}

// Every method reaches the core, which answers the ones it does not take (405).
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

async function send(reply: FastifyReply, web: Response): Promise<FastifyReply> {
  const body = web.body === null ? undefined : Buffer.from(await web.arrayBuffer());
  reply.code(web.status);
  web.headers.forEach((value, name) => {
    if (name !== 'set-cookie') reply.header(name, value);
  });
  // Appended: cookies earlier hooks set on this reply stay.
  for (const cookie of web.headers.getSetCookie()) reply.header('set-cookie', cookie);
  return reply.send(body);
}

/**
 * Fastify 5 plugin for the Smart Pixel pass-through (docs/protocol.md §9):
 * `await app.register(mappPixelProxy, { trackId, trackDomain, trustProxy: 'loopback' })` answers
 * `/mapp/pixel` and everything below it. Its routes read the body themselves (the beacon's
 * stream, capped by the core) and are left out of page-view tracking. `app.close()` closes a
 * tracker the plugin created.
 *
 * Invalid options throw at registration. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export const mappPixelProxy: FastifyPluginCallback<FastifyPixelProxyOptions> = function mappPixelProxy(app, options, done) {
  const mountPath = options.mountPath ?? '/mapp/pixel';
  let proxy: NodePixelProxy<FastifyRequest>;
  try {
    proxy = createNodePixelProxy<FastifyRequest>({ ...options, mountPath }, process.env);
  } catch (error) {
    done(error as Error); // so that register()/ready() reject with it
    return;
  }
  if (options.tracker === undefined) app.addHook('onClose', async () => proxy.tracker?.close());

  // This plugin's own context (it is not wrapped in fastify-plugin): no parser reads the
  // body here, the core does, from the Node request.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null, undefined));

  async function mappPixelProxyHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // The raw target, not Fastify's URL: decoding or normalising first would hide traversal tricks.
    const response = await proxy.answer(request, request.raw, { parsedBody: undefined, rawTarget: request.raw.url ?? request.url });
    try {
      return await send(reply, response);
    } catch (error) {
      return send(reply, proxy.fail(error, request));
    }
  }
  for (const url of [mountPath, `${mountPath}/*`]) {
    app.route({ method: METHODS, url, config: { mappTracking: false }, handler: mappPixelProxyHandler });
  }
  done();
};
