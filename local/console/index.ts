/** The local console (issue 15): its routes on the stack's endpoint. */
export { type ConsoleContext, consoleRoutes } from './routes.ts';
export { CONTENT_SECURITY_POLICY } from './static-assets.ts';
