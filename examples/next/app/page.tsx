import { FEATURED } from '../lib/shop';

/** Home: the featured products and a newsletter form. Tracked by the middleware as a plain page view. */
export default function Home() {
  return (
    <>
      <h1>Trailhead Outfitters</h1>
      <ul>
        {FEATURED.map((product) => (
          <li key={product.id}>
            <a href={`/products/${encodeURIComponent(product.id)}`}>{product.name}</a> <span className="price">{product.price.toFixed(2)} EUR</span>
          </li>
        ))}
      </ul>
      <form method="post" action="/newsletter">
        <input type="email" name="email" placeholder="you@example.com" />
        <button type="submit">Subscribe</button>
      </form>
    </>
  );
}
