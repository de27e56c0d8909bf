import { Controller, Get, Header, Inject, NotFoundException, Param, Post, Query, Redirect, Req, StreamableFile } from '@nestjs/common';
import { MappTracker, NoTracking, TrackAs } from '@mapp-s2s/nestjs';
import { Registry } from 'prom-client';
import { CURRENCY, cartTotal, cents, demoCart, productFor } from '../../shop-kit/catalog.js';
import { adminPage, cartPage, confirmationPage, homePage, productPage } from '../../shop-kit/pages.js';
import { pixelPage, TRACK_IDS } from '../../shop-kit/pixel-page.js';
import { queryString } from '../../shop-kit/query.js';
import { smartPixelBundle } from '../../shop-kit/smart-pixel-bundle.js';
import { STYLESHEET } from '../../shop-kit/styles.js';

const HTML = 'text/html; charset=utf-8';
/** Injection token of the shop's track id (for the Smart Pixel demo page). */
export const SHOP_TRACK_ID = 'SHOP_TRACK_ID';

// Constructor parameters name their tokens with @Inject(): `tsx` (esbuild) compiles the
// decorators but emits no parameter types for Nest to read.

/** The shop's pages. Page data and backend events go through the injectable `MappTracker`. */
@Controller()
export class ShopController {
  private readonly bundle = smartPixelBundle('nestjs');

  constructor(
    @Inject(MappTracker) private readonly mapp: MappTracker,
    @Inject(Registry) private readonly metrics: Registry,
    @Inject(SHOP_TRACK_ID) private readonly trackId: string,
  ) {}

  @Get()
  @Header('content-type', HTML)
  home(): string {
    return homePage();
  }

  @Get('static/app.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  stylesheet(): string {
    return STYLESHEET;
  }

  @Get('products/:id')
  @Header('content-type', HTML)
  product(@Param('id') id: string, @Req() req: object): string {
    const product = productFor(id);
    if (product === undefined) throw new NotFoundException(); // the shop's 404 page, from ShopExceptionFilter
    this.mapp.trackPage(req, { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' });
    return productPage(product);
  }

  @Get('cart')
  @Header('content-type', HTML)
  cart(@Query('add') add: unknown, @Req() req: object): string {
    const addedId = queryString(add);
    const added = addedId === undefined ? undefined : productFor(addedId);
    if (added !== undefined) this.mapp.trackPage(req, { products: [{ id: added.id, cost: added.price, quantity: 1 }], productStatus: 'add' });
    return cartPage(demoCart(), added, `A-${Date.now().toString(36)}`);
  }

  /** A form post is no page view; its backend event shares the visitor of the page around it. */
  @Post('newsletter')
  @Redirect('/', 303)
  newsletter(@Req() req: object): void {
    void this.mapp.trackEvent(req, { action: { name: 'newsletter_signup', parameters: { 1: 'home' } } });
  }

  /** Opted out by route: `exclude: ['/health']` in `MappTrackingModule.forRoot()`. */
  @Get('health')
  @Header('content-type', 'text/plain; charset=utf-8')
  health(): string {
    return 'ok';
  }

  @Get('metrics')
  @NoTracking()
  @Header('cache-control', 'no-store')
  async scrape(): Promise<StreamableFile> {
    // A StreamableFile on both platforms: Express's res.send() would rewrite prom-client's
    // content type (`charset` before `version`); a stream keeps it as given.
    return new StreamableFile(Buffer.from(await this.metrics.metrics()), { type: this.metrics.contentType });
  }

  @Get('api/status')
  status(): { status: string; tracking: unknown } {
    return { status: 'ok', tracking: this.mapp.tracker.stats() };
  }

  @Get('static/smart-pixel.js')
  @Header('cache-control', 'public, max-age=3600')
  smartPixel(): StreamableFile {
    return new StreamableFile(this.bundle(), { type: 'text/javascript; charset=utf-8' });
  }

  /** The pixel itself tracks this page: a server page view as well would count it twice. */
  @Get('pixel')
  @NoTracking()
  @Header('content-type', HTML)
  pixel(): string {
    if (!TRACK_IDS.test(this.trackId)) throw new Error('MAPP_TRACK_ID must be one or more 15-digit track ids');
    return pixelPage(this.trackId);
  }
}

/** Checkout pages: every page view of this controller gets the page type `checkout` (cp777). */
@TrackAs({ page: { type: 'checkout' } })
@Controller('checkout')
export class CheckoutController {
  constructor(@Inject(MappTracker) private readonly mapp: MappTracker) {}

  @Get('confirmation')
  @Header('content-type', HTML)
  confirmation(@Query('order') order: unknown, @Req() req: object): string {
    const orderId = queryString(order) ?? `A-${Date.now().toString(36)}`;
    const lines = demoCart();
    this.mapp.trackPage(req, {
      order: { value: cartTotal(lines), id: orderId, currency: CURRENCY },
      products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
      productStatus: 'conf',
    });
    return confirmationPage(orderId, lines);
  }
}

/** An internal page: the whole controller is opted out of tracking. */
@NoTracking()
@Controller('admin')
export class AdminController {
  constructor(@Inject(MappTracker) private readonly mapp: MappTracker) {}

  @Get()
  @Header('content-type', HTML)
  index(): string {
    return adminPage({ tracker: this.mapp.tracker.stats() });
  }
}
