import { mappTracking } from '@mapp-s2s/next';
import { mapp } from './mapp';
import { isKnownRoute, routeHitData, tracksItself } from './routes';

/** The shop's tracking middleware, exported as default by `proxy.ts` and by the Edge `middleware.ts`. */
export const trackingMiddleware = mappTracking({
  tracker: mapp,
  notFound: (request) => !isKnownRoute(request.nextUrl.pathname),
  hitData: routeHitData,
  pageTracksItself: tracksItself,
});
