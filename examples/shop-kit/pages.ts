import { CURRENCY, FEATURED, cartTotal, cents, type CartLine, type Product } from './catalog.js';

/** Escapes text for HTML: ids and paths come from the URL. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function money(value: number): string {
  return `${cents(value).toFixed(2)} ${CURRENCY}`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Trailhead Outfitters</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<header><a class="logo" href="/">Trailhead Outfitters</a><nav><a href="/">Shop</a><a href="/cart">Cart</a><a href="/admin">Admin</a></nav></header>
<main>
${body}
</main>
<footer>A demo shop for mapp-s2s: every page view is tracked by the server, no script needed.</footer>
</body>
</html>
`;
}

function productCard(product: Product): string {
  const href = `/products/${encodeURIComponent(product.id)}`;
  return `<div class="card"><a href="${escapeHtml(href)}">${escapeHtml(product.name)}</a><p class="price">${money(product.price)}</p></div>`;
}

/** `/`: the product list. */
export function homePage(): string {
  const cards = FEATURED.map(productCard).join('\n');
  const newsletter = `<form class="card" method="post" action="/newsletter"><label>Newsletter <input type="email" name="email" required placeholder="you@example.com"></label> <button class="button" type="submit">Sign up</button></form>`;
  return layout('Home', `<h1>Gear for the trail</h1>\n<div class="grid">\n${cards}\n</div>\n<h2>Stay in touch</h2>\n${newsletter}`);
}

/** `/products/:id`: one product with an add-to-cart form. */
export function productPage(product: Product): string {
  return layout(
    product.name,
    `<h1>${escapeHtml(product.name)}</h1>
<p>Article ${escapeHtml(product.id)}</p>
<p class="price">${money(product.price)}</p>
<form method="get" action="/cart"><input type="hidden" name="add" value="${escapeHtml(product.id)}"><button class="button" type="submit">Add to cart</button></form>`,
  );
}

function cartTable(lines: readonly CartLine[]): string {
  const rows = lines
    .map((line) => `<tr><td>${escapeHtml(line.product.name)}</td><td>${line.quantity}</td><td class="price">${money(line.product.price * line.quantity)}</td></tr>`)
    .join('\n');
  return `<table><tr><th>Product</th><th>Quantity</th><th>Cost</th></tr>\n${rows}\n<tr><th colspan="2">Total</th><th class="price">${money(cartTotal(lines))}</th></tr></table>`;
}

/** `/cart`: the demo cart and a checkout link with a fresh order id. */
export function cartPage(lines: readonly CartLine[], added: Product | undefined, orderId: string): string {
  const notice = added === undefined ? '' : `<p>Added <strong>${escapeHtml(added.name)}</strong> to your cart.</p>\n`;
  return layout(
    'Cart',
    `<h1>Your cart</h1>
${notice}${cartTable(lines)}
<p><a class="button" href="/checkout/confirmation?order=${encodeURIComponent(orderId)}">Buy now</a></p>`,
  );
}

/** `/checkout/confirmation`: thank-you page of an order. */
export function confirmationPage(orderId: string, lines: readonly CartLine[]): string {
  return layout('Order confirmed', `<h1>Thank you!</h1>\n<p>Your order <strong>${escapeHtml(orderId)}</strong> is on its way.</p>\n${cartTable(lines)}`);
}

/** `/admin`: an internal page that is never tracked. */
export function adminPage(stats: unknown): string {
  return layout('Admin', `<h1>Admin</h1>\n<p>This page is opted out of tracking with <code>@NoTracking()</code>.</p>\n<pre>${escapeHtml(JSON.stringify(stats, null, 2))}</pre>`);
}

/** Any unknown path, and a product the catalogue does not have. */
export function notFoundPage(path: string): string {
  return layout('Not found', `<h1>Page not found</h1>\n<p>There is nothing at <code>${escapeHtml(path)}</code>. <a href="/">Back to the shop</a></p>`);
}

/**
 * The answer to a failed request: the status's short text and nothing else. Never the
 * error's message or stack: they name files, paths and internals a visitor must not see.
 */
export function errorPage(status: number): string {
  const title = status >= 500 ? 'Something went wrong' : status === 400 ? 'Bad request' : 'Request not accepted';
  const text = status >= 500 ? 'The shop could not answer this request. Please try again later.' : 'The shop cannot answer this request.';
  return layout(title, `<h1>${title}</h1>\n<p>${text} <a href="/">Back to the shop</a></p>`);
}

/**
 * The status to answer a thrown error with: a client error the framework raised (such as
 * 400 for a malformed percent-escape in the path) keeps its 4xx, anything else is a 500.
 */
export function errorStatus(error: unknown): number {
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 499 ? status : 500;
}
