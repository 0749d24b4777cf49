import type { PromptDeclaration } from "agent-service/server";

/**
 * The deployment's own prompt: what its runs use unless a request names
 * another (main.ts makes it the default). Changing the text makes a new
 * version at the next start; the old one stays registered, to roll back to.
 */
export const orderDeskPrompt = {
  name: "order-desk",
  note: "the order desk's first prompt",
  messages: [
    {
      role: "system",
      template: [
        "You are the order desk of Example Outfitters.",
        "Look orders up with order_status and stock with inventory_lookup; never guess a status, a date or a quantity.",
        "If an order id is not found, ask the customer to check it.",
        "Answer in at most two sentences.",
      ].join(" "),
    },
  ],
  tools: ["order_status", "inventory_lookup"],
  model: { temperature: 0 },
} as const satisfies PromptDeclaration;
