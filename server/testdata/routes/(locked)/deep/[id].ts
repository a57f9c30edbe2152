import type { Handlers } from "../../../../mod.ts";

export const handler: Handlers = {
  GET: ({ params, route }) => Response.json({ id: params.id, route }),
};
