/**
 * One product in the inventory catalogue.
 */
export interface CatalogueItem {
  /** Stock-keeping unit, e.g. "SKU-1001"; unique, matched case-insensitively. */
  readonly sku: string;
  /** Product name as shown to customers. */
  readonly name: string;
  /** Product category, e.g. "Peripherals". */
  readonly category: string;
  /** Price of one unit in `currency`, in major units (dollars, not cents). */
  readonly unitPrice: number;
  /** ISO 4217 currency code, e.g. "USD". */
  readonly currency: string;
  /** Units on hand; 0 when out of stock. */
  readonly quantityInStock: number;
  /** The warehouse holding the stock. */
  readonly warehouse: string;
}

/**
 * The catalogue `inventory_lookup` searches by default: a small store of office equipment, enough
 * to demonstrate and test the agent without a database.
 */
export const bundledCatalogue: readonly CatalogueItem[] = Object.freeze(
  (
    [
      {
        sku: "SKU-1001",
        name: "Ergonomic Wireless Mouse",
        category: "Peripherals",
        unitPrice: 39.99,
        currency: "USD",
        quantityInStock: 248,
        warehouse: "Newark, NJ",
      },
      {
        sku: "SKU-1002",
        name: "Mechanical Keyboard, Brown Switches",
        category: "Peripherals",
        unitPrice: 119,
        currency: "USD",
        quantityInStock: 64,
        warehouse: "Newark, NJ",
      },
      {
        sku: "SKU-1003",
        name: "27-inch 4K Monitor",
        category: "Displays",
        unitPrice: 429,
        currency: "USD",
        quantityInStock: 18,
        warehouse: "Reno, NV",
      },
      {
        sku: "SKU-1004",
        name: "USB-C Docking Station",
        category: "Accessories",
        unitPrice: 189.5,
        currency: "USD",
        quantityInStock: 0,
        warehouse: "Reno, NV",
      },
      {
        sku: "SKU-1005",
        name: "Noise-Cancelling Headset",
        category: "Audio",
        unitPrice: 149,
        currency: "USD",
        quantityInStock: 37,
        warehouse: "Newark, NJ",
      },
      {
        sku: "SKU-1006",
        name: "1080p Webcam",
        category: "Peripherals",
        unitPrice: 69.99,
        currency: "USD",
        quantityInStock: 112,
        warehouse: "Reno, NV",
      },
      {
        sku: "SKU-1007",
        name: "Aluminium Laptop Stand",
        category: "Accessories",
        unitPrice: 45,
        currency: "USD",
        quantityInStock: 203,
        warehouse: "Newark, NJ",
      },
      {
        sku: "SKU-1008",
        name: "USB-C to HDMI Cable, 2 m",
        category: "Cables",
        unitPrice: 14.99,
        currency: "USD",
        quantityInStock: 1_540,
        warehouse: "Reno, NV",
      },
      {
        sku: "SKU-1009",
        name: "Standing Desk Frame",
        category: "Furniture",
        unitPrice: 389,
        currency: "USD",
        quantityInStock: 9,
        warehouse: "Columbus, OH",
      },
      {
        sku: "SKU-1010",
        name: "Mesh Office Chair",
        category: "Furniture",
        unitPrice: 279,
        currency: "USD",
        quantityInStock: 26,
        warehouse: "Columbus, OH",
      },
      {
        sku: "SKU-1011",
        name: "Portable SSD, 1 TB",
        category: "Storage",
        unitPrice: 99.9,
        currency: "USD",
        quantityInStock: 75,
        warehouse: "Reno, NV",
      },
      {
        sku: "SKU-1012",
        name: "Wi-Fi 6 Router",
        category: "Networking",
        unitPrice: 159,
        currency: "USD",
        quantityInStock: 41,
        warehouse: "Newark, NJ",
      },
    ] satisfies CatalogueItem[]
  ).map((item) => Object.freeze(item)),
);
