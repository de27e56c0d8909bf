import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { definePixelProxySuite } from '@mapp-s2s/adapter-tests';
import { mappPixelProxy } from '../src/pixel-proxy.js';
import { adapterFor, PLATFORMS, serveNest } from './support.js';

@Controller()
class PagesController {
  @Get('admin')
  admin(): string {
    return 'admin';
  }

  @Get('mapp/pixelated')
  pixelated(): string {
    return 'not the pixel';
  }
}

@Module({ controllers: [PagesController] })
class PagesModule {}

for (const platform of PLATFORMS) {
  definePixelProxySuite({
    name: `NestJS 11 on ${platform}`,
    async startShop(options) {
      const app = await NestFactory.create(PagesModule, adapterFor(platform), { logger: false });
      app.use((_req: IncomingMessage, res: ServerResponse, next: () => void) => {
        res.appendHeader('set-cookie', 'site_session=abc; Path=/');
        next();
      });
      const proxy = mappPixelProxy(options); // handles /mapp/pixel by default
      app.use(proxy);
      await app.init();
      const shop = await serveNest(app);
      return { url: shop.url, close: async () => (await shop.close(), await proxy.tracker?.close()) };
    },
  });
}
