import { bootstrap } from '#gridshift/platform';
import { PlannerModule } from './app.module.js';
import { plannerConfigShape } from './config.js';

await bootstrap({
  appName: 'planner',
  shape: plannerConfigShape,
  module: (config, logger) => PlannerModule.forRoot(config, logger),
  port: (config) => config.PORT,
  host: (config) => config.HTTP_HOST,
});
