import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Caller } from '../auth/access.guard.js';
import { Authenticator } from '../auth/authenticator.js';
import { actorOf, type Principal, Requires } from '../auth/roles.js';
import { Uuid } from '../http/query.js';
import { ApiProblems, ApiZodBody, ApiZodQuery, ApiZodResponse, ZodPipe } from '../http/zod.js';
import { ApiKeyCommands } from './api-key.commands.js';
import {
  ApiKeySchema,
  CreateKeyBody,
  CallerSchema,
  CreatedKeySchema,
  KeyListSchema,
  ListKeysQuery,
} from './keys.schemas.js';

const RevokeBody = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional().describe('Why, for the audit log.') })
  .meta({ example: { reason: 'laptop lost' } });

@ApiTags('api keys')
@Requires('admin')
@Controller('api-keys')
export class KeysController {
  private readonly commands: ApiKeyCommands;

  constructor(
    dataSource: DataSource,
    private readonly authenticator: Authenticator,
  ) {
    this.commands = new ApiKeyCommands(dataSource);
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key (the secret is shown once, in this response)' })
  @ApiZodBody('CreateApiKey', CreateKeyBody)
  @ApiZodResponse(201, 'CreatedApiKey', CreatedKeySchema, 'The key, with its secret.')
  @ApiProblems([400, 'Invalid body.'])
  async create(
    @Caller() caller: Principal,
    @Body(new ZodPipe(CreateKeyBody)) body: CreateKeyBody,
  ): Promise<z.infer<typeof CreatedKeySchema>> {
    return this.commands.create(actorOf(caller), body);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiZodQuery(ListKeysQuery)
  @ApiZodResponse(200, 'ApiKeyList', KeyListSchema, 'Keys, newest first.')
  @ApiProblems([400, 'Invalid query.'])
  async list(
    @Query(new ZodPipe(ListKeysQuery)) query: z.output<typeof ListKeysQuery>,
  ): Promise<z.infer<typeof KeyListSchema>> {
    return { items: await this.commands.list(query.includeRevoked) };
  }

  @Get('me')
  @Requires('viewer')
  @ApiOperation({
    summary: 'The key this request was made with: its name and role (the console shows what the role may do)',
  })
  @ApiZodResponse(200, 'Caller', CallerSchema, 'The caller.')
  me(@Caller() caller: Principal): z.infer<typeof CallerSchema> {
    return { name: caller.name, role: caller.role, keyPrefix: caller.keyPrefix, actor: actorOf(caller) };
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key (idempotent; the last active admin key cannot be revoked)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiZodBody('RevokeApiKey', RevokeBody)
  @ApiZodResponse(200, 'ApiKey', ApiKeySchema, 'The revoked key.')
  @ApiProblems([400, 'Malformed id or body.'], [404, 'No such key.'], [409, 'Last active admin key.'])
  async revoke(
    @Caller() caller: Principal,
    @Param('id', new ZodPipe(Uuid)) id: string,
    @Body(new ZodPipe(RevokeBody)) body: z.output<typeof RevokeBody>,
  ): Promise<z.infer<typeof ApiKeySchema>> {
    const result = await this.commands.revoke(actorOf(caller), id, body.reason);
    this.authenticator.forget(id);
    return result.key;
  }
}
