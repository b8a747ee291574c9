// TypeScript types for a policy project's requests and entities, generated from its Cedar schema.
export { generateTypes, type GenerateTypesOptions } from "./generate.ts";
