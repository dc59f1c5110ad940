import { bootstrap } from '#gridshift/platform';
import { AdminApiModule } from './app.module.js';
import { adminApiConfigShape } from './config.js';
import { configureHttp } from './http/configure.js';

await bootstrap({
  appName: 'admin-api',
  shape: adminApiConfigShape,
  module: (config, logger) => AdminApiModule.forRoot(config, logger),
  port: (config) => config.PORT,
  host: (config) => config.HTTP_HOST,
  configure: (app, config) => configureHttp(app, config),
});
