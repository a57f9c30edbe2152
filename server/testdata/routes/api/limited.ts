import { type Handlers, HttpError } from "../../../mod.ts";

export const handler: Handlers = {
  GET() {
    throw new HttpError(429, "slow down", { headers: { "retry-after": "7" } });
  },
};
