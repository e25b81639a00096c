// Just enough of Node for docs/api/quickstart.ts to type-check without @types/node.
declare const process: { env: Record<string, string | undefined> };
