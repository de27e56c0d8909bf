import { after } from 'next/server';
import { mapp } from '../../lib/mapp';

/**
 * The home page's sign-up form: a backend event `newsletter_signup` of the same visitor
 * (its cookie), sent after the redirect went out. The address itself is not sent to Mapp.
 */
export function POST(request: Request): Response {
  after(() => mapp.trackEvent({ action: { name: 'newsletter_signup', parameters: { 1: 'home' } } }, request));
  return new Response(null, { status: 303, headers: { location: '/' } });
}
