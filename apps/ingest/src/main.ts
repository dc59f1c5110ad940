import { bootstrap } from '#gridshift/platform';
import { IngestModule } from './app.module.js';
import { ingestConfigShape } from './config.js';

await bootstrap({
  appName: 'ingest',
  shape: ingestConfigShape,
  module: (config, logger) => IngestModule.forRoot(config, logger),
  port: (config) => config.PORT,
  host: (config) => config.HTTP_HOST,
});
