import type { Handlers } from "../../../mod.ts";

export const handler: Handlers = {
  GET: () => Response.json({ gold: 1 }),
  POST: async ({ req }) => Response.json({ got: (await req.text()).length }),
};
