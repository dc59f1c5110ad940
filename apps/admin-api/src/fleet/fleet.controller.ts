import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { z } from 'zod';
import { Caller } from '../auth/access.guard.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { Slug } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodResponse, ZodPipe } from '../http/zod.js';
import {
  ClusterListSchema,
  ClusterSchema,
  CreateClusterBody,
  CurrencyParam,
  ExchangeRateListSchema,
  ExchangeRateSchema,
  PutRateBody,
  PutZoneBody,
  UpdateClusterBody,
  ZoneIdParam,
  ZoneListSchema,
  ZoneSchema,
} from './fleet.schemas.js';
import { FleetService } from './fleet.service.js';

type ClusterOut = z.infer<typeof ClusterSchema>;

@ApiTags('clusters')
@Controller('clusters')
export class ClustersController {
  constructor(private readonly fleet: FleetService) {}

  @Get()
  @Requires('viewer')
  @ApiOperation({ summary: 'List registered clusters' })
  @ApiZodResponse(200, 'ClusterList', ClusterListSchema, 'Every cluster, by id.')
  async list(): Promise<z.infer<typeof ClusterListSchema>> {
    return { items: await this.fleet.listClusters() };
  }

  @Get(':id')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one cluster' })
  @ApiParam({ name: 'id', example: 'fra-1' })
  @ApiZodResponse(200, 'Cluster', ClusterSchema, 'The cluster.')
  @ApiProblems([404, 'No such cluster.'])
  async get(@Param('id', new ZodPipe(Slug)) id: string): Promise<ClusterOut> {
    return this.fleet.getCluster(id);
  }

  @Post()
  @Requires('admin')
  @ApiOperation({ summary: 'Register a cluster (its zone must be registered first)' })
  @ApiZodBody('CreateCluster', CreateClusterBody)
  @ApiZodResponse(201, 'Cluster', ClusterSchema, 'The registered cluster.')
  @ApiProblems([400, 'Invalid body.'], [404, 'Unknown zone (field `zone`).'], [409, 'The id is taken.'])
  async create(
    @Caller() caller: Principal,
    @Body(new ZodPipe(CreateClusterBody)) body: CreateClusterBody,
  ): Promise<ClusterOut> {
    return this.fleet.createCluster(actorOf(caller), body);
  }

  @Patch(':id')
  @Requires('admin')
  @ApiOperation({
    summary: 'Update a cluster: zone, GPUs, kW per GPU, PUE, power cap, latency to origins, active',
  })
  @ApiParam({ name: 'id', example: 'fra-1' })
  @ApiZodBody('UpdateCluster', UpdateClusterBody)
  @ApiZodResponse(200, 'Cluster', ClusterSchema, 'The updated cluster.')
  @ApiProblems([400, 'Invalid body.'], [404, 'No such cluster, or unknown zone.'])
  async update(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Slug)) id: string,
    @Body(new ZodPipe(UpdateClusterBody)) body: z.output<typeof UpdateClusterBody>,
  ): Promise<ClusterOut> {
    return this.fleet.updateCluster(actorOf(caller), id, body);
  }
}

@ApiTags('zones and exchange rates')
@Controller()
export class ZonesController {
  constructor(private readonly fleet: FleetService) {}

  @Get('zones')
  @Requires('viewer')
  @ApiOperation({ summary: 'List bidding zones' })
  @ApiZodResponse(200, 'ZoneList', ZoneListSchema, 'Every zone, by id.')
  async list(): Promise<z.infer<typeof ZoneListSchema>> {
    return { items: await this.fleet.listZones() };
  }

  @Get('zones/:id')
  @Requires('viewer')
  @ApiOperation({ summary: 'Get one zone' })
  @ApiParam({ name: 'id', example: 'DE-LU' })
  @ApiZodResponse(200, 'Zone', ZoneSchema, 'The zone.')
  @ApiProblems([404, 'No such zone.'])
  async get(@Param('id', new ZodPipe(ZoneIdParam)) id: string): Promise<z.infer<typeof ZoneSchema>> {
    return this.fleet.getZone(id);
  }

  @Put('zones/:id')
  @Requires('admin')
  @ApiOperation({ summary: 'Create or replace a zone (201 when created, 200 when replaced)' })
  @ApiParam({ name: 'id', example: 'DE-LU' })
  @ApiZodBody('PutZone', PutZoneBody)
  @ApiZodResponse(200, 'Zone', ZoneSchema, 'The replaced zone.')
  @ApiZodResponse(201, 'Zone', ZoneSchema, 'The created zone.')
  @ApiProblems([400, 'Invalid id or body.'])
  async put(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(ZoneIdParam)) id: string,
    @Body(new ZodPipe(PutZoneBody)) body: PutZoneBody,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof ZoneSchema>> {
    const { zone, created } = await this.fleet.putZone(actorOf(caller), id, body);
    res.status(created ? 201 : 200);
    return zone;
  }

  @Get('exchange-rates')
  @Requires('viewer')
  @ApiOperation({ summary: 'List operator-managed exchange rates (they override the FX file of the ingest)' })
  @ApiZodResponse(200, 'ExchangeRateList', ExchangeRateListSchema, 'Every stored rate, by currency.')
  async rates(): Promise<z.infer<typeof ExchangeRateListSchema>> {
    return {
      items: await this.fleet.listRates(),
      note: 'perBase = units of the currency per one unit of the base currency of the FX table (USD by default); rows here override the file.',
    };
  }

  @Put('exchange-rates/:currency')
  @Requires('admin')
  @ApiOperation({ summary: 'Set one exchange rate (201 when new, 200 when changed)' })
  @ApiParam({ name: 'currency', example: 'EUR' })
  @ApiZodBody('PutExchangeRate', PutRateBody)
  @ApiZodResponse(200, 'ExchangeRate', ExchangeRateSchema, 'The rate.')
  @ApiProblems([400, 'Invalid currency or body.'])
  async putRate(
    @Caller() caller: Principal,
    @Param('currency', new ZodPipe(CurrencyParam)) currency: string,
    @Body(new ZodPipe(PutRateBody)) body: z.output<typeof PutRateBody>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<z.infer<typeof ExchangeRateSchema>> {
    const { rate, created } = await this.fleet.putRate(actorOf(caller), currency, body.perBase);
    res.status(created ? 201 : 200);
    return rate;
  }

  @Delete('exchange-rates/:currency')
  @Requires('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an exchange-rate override' })
  @ApiParam({ name: 'currency', example: 'EUR' })
  @ApiProblems([400, 'Malformed currency.'], [404, 'No stored rate for the currency.'])
  async deleteRate(
    @Caller() caller: Principal,
    @Param('currency', new ZodPipe(CurrencyParam)) currency: string,
  ): Promise<void> {
    await this.fleet.deleteRate(actorOf(caller), currency);
  }
}
