import { cartTotal, type CartLine } from '../../lib/shop';

/** The cart lines with their costs and the total. */
export function CartTable({ lines }: { lines: readonly CartLine[] }) {
  return (
    <table>
      <tbody>
        <tr>
          <th>Product</th>
          <th>Quantity</th>
          <th>Cost</th>
        </tr>
        {lines.map((line) => (
          <tr key={line.product.id}>
            <td>{line.product.name}</td>
            <td>{line.quantity}</td>
            <td className="price">{(line.product.price * line.quantity).toFixed(2)} EUR</td>
          </tr>
        ))}
        <tr>
          <th colSpan={2}>Total</th>
          <th className="price">{cartTotal(lines).toFixed(2)} EUR</th>
        </tr>
      </tbody>
    </table>
  );
}
