import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { defineExampleShopSuite } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/nestjs/src/app.js';
import { ShopExceptionFilter } from '../../../examples/nestjs/src/errors.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';
import { adapterFor, PLATFORMS, serveNest } from './support.js';

@Controller()
class ThrowingController {
  @Get('boom')
  boom(): never {
    throw new Error(`boom in ${__filename}`);
  }
}

@Module({ controllers: [ThrowingController], providers: [{ provide: APP_FILTER, useClass: ShopExceptionFilter }] })
class ThrowingModule {}

for (const platform of PLATFORMS) {
  defineExampleShopSuite({
    name: `examples/nestjs on ${platform}`,
    async startShop(env) {
      const { app } = await createShop(env, adapterFor(platform));
      return serveNest(app);
    },
    readSettings,
    parseTrustProxy,
    async serveThrowingRoute() {
      const app = await NestFactory.create(ThrowingModule, adapterFor(platform), { logger: false });
      await app.init();
      return serveNest(app);
    },
  });
}
