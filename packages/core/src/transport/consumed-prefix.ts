/**
 * For arrays used as queues with a read index (`head`), which is cheaper than `shift()` per item:
 * frees the consumed prefix once the queue is empty or the prefix dominates (more than
 * `minHead` items and over half the array), so memory follows the live length. Returns the
 * head to use from now on.
 * @internal
 */
export function compactConsumed(items: unknown[], head: number, minHead = 1024): number {
  if (head === items.length) {
    items.length = 0;
    return 0;
  }
  if (head > minHead && head * 2 > items.length) {
    items.splice(0, head);
    return 0;
  }
  return head;
}
