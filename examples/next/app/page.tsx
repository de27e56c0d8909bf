import { PRODUCTS } from '../lib/shop';

/** Home: the catalogue. Tracked by the middleware as a plain page view. */
export default function Home() {
  return (
    <>
      <h1>Example shop</h1>
      <ul>
        {PRODUCTS.map((product) => (
          <li key={product.id}>
            <a href={`/products/${product.id}`}>{product.name}</a> ({product.price.toFixed(2)} EUR)
          </li>
        ))}
      </ul>
    </>
  );
}
