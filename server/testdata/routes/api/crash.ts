import type { Handlers } from "../../../mod.ts";

export const handler: Handlers = {
  GET() {
    throw new Error("secret internal detail of an API");
  },
};
