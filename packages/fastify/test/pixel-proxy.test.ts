import Fastify from 'fastify';
import { definePixelProxySuite, listen } from '@mapp-s2s/adapter-tests';
import { mappPixelProxy } from '../src/pixel-proxy.js';

definePixelProxySuite({
  name: 'Fastify 5',
  async startShop(options) {
    const app = Fastify();
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('set-cookie', 'site_session=abc; Path=/');
      done();
    });
    await app.register(mappPixelProxy, options); // handles /mapp/pixel by default
    app.get('/admin', () => 'admin');
    app.get('/mapp/pixelated', () => 'not the pixel');
    await app.ready();
    const server = await listen((req, res) => app.routing(req, res));
    // app.close() closes the proxy's tracker (the plugin created it).
    return { url: server.url, close: async () => (await app.close(), await server.close()) };
  },
});
