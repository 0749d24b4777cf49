import { defineTool, type AgentTool } from "agent-service/server";
import { z } from "zod";

/** One order as the order desk reports it. */
export interface Order {
  readonly status: "processing" | "shipped" | "delivered";
  readonly carrier?: string;
  /** The delivery date, promised or done, as YYYY-MM-DD. */
  readonly deliveryDate: string;
}

/** The orders the example knows; a real deployment asks its order system. */
export const sampleOrders: ReadonlyMap<string, Order> = new Map([
  ["A-1001", { status: "shipped", carrier: "DHL", deliveryDate: "2025-03-05" }],
  ["A-1002", { status: "processing", deliveryDate: "2025-03-09" }],
  ["A-1003", { status: "delivered", carrier: "UPS", deliveryDate: "2025-02-27" }],
]);

const orderStatusSchema = z.object({
  orderId: z
    .string()
    .regex(/^[A-Z]-\d{4}$/, "an order id is a capital letter, a dash and four digits, such as A-1001")
    .describe("The order id, such as A-1001"),
});

/** Options for {@link createOrderStatusTool}. */
export interface OrderStatusToolOptions {
  /** The orders it answers for. Default {@link sampleOrders}. */
  readonly orders?: ReadonlyMap<string, Order>;
}

/**
 * The deployment's own tool, `order_status`: an order's status, carrier and
 * delivery date, by id. Deterministic: the same id always gets the same answer.
 */
export function createOrderStatusTool(options: OrderStatusToolOptions = {}): AgentTool<z.infer<typeof orderStatusSchema>> {
  const orders = options.orders ?? sampleOrders;
  return defineTool({
    name: "order_status",
    description: "Looks up a customer's order by its id: whether it is processing, shipped or delivered, the carrier, and the delivery date.",
    schema: orderStatusSchema,
    timeoutMs: 2_000,
    async invoke({ orderId }) {
      const order = orders.get(orderId);
      if (order === undefined) {
        // The model reads this and can ask the customer for the right id.
        throw new Error(`there is no order ${orderId}; check the id on the order confirmation`);
      }
      return describeOrder(orderId, order);
    },
  });
}

/** The sentence the model reads about one order. */
function describeOrder(orderId: string, order: Order): string {
  const carrier = order.carrier ?? "the carrier";
  switch (order.status) {
    case "processing":
      return `Order ${orderId} is being processed and is due on ${order.deliveryDate}.`;
    case "shipped":
      return `Order ${orderId} shipped with ${carrier} and is due on ${order.deliveryDate}.`;
    case "delivered":
      return `Order ${orderId} was delivered by ${carrier} on ${order.deliveryDate}.`;
  }
}
