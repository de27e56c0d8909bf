import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorPage, errorStatus, notFoundPage } from '../../shop-kit/pages.js';

/**
 * Every error, Nest's own (404 for an unknown path, 400 for a malformed escape) and the app's,
 * answers the shop's plain page: the 404 page, or the error page with no message, stack trace or
 * path. Written through the platform's adapter, so it works on Express and Fastify alike.
 */
@Catch()
export class ShopExceptionFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.host.httpAdapter;
    const http = host.switchToHttp();
    const request = http.getRequest<object>();
    const response = http.getResponse<object>();
    const status = exception instanceof HttpException ? exception.getStatus() : errorStatus(exception);
    const path = String(adapter.getRequestUrl(request)).split('?', 1)[0] ?? '/';
    if (status >= 500) console.error(`example-nestjs-shop: ${String(adapter.getRequestMethod(request))} ${path} failed:`, exception);
    adapter.setHeader(response, 'content-type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'cache-control', 'no-store');
    adapter.reply(response, status === 404 ? notFoundPage(path) : errorPage(status >= 400 && status <= 599 ? status : 500), status >= 400 && status <= 599 ? status : 500);
  }
}
