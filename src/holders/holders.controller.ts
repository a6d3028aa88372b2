import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { CreateHouseholdDto, CreatePersonDto, HouseholdSearchQuery, PersonSearchQuery, HouseholdView, PersonView } from './holders.dto';
import { HoldersService } from './holders.service';

@ApiTags('holders')
@Controller('v1')
export class HoldersController {
  constructor(private readonly holders: HoldersService) {}

  /** Enrol a household in a village of the caller's scope. */
  @Post('households')
  @HttpCode(201)
  @Access({ roles: ['admin', 'clerk'] })
  createHousehold(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateHouseholdDto): Promise<HouseholdView> {
    return this.holders.createHousehold(p, dto);
  }

  /** Find households by the head's name (or id) within the key's scope. */
  @Get('households')
  @Access({ roles: READER_ROLES })
  searchHouseholds(@CurrentPrincipal() p: KeyPrincipal, @Query() q: HouseholdSearchQuery) {
    return this.holders.searchHouseholds(p, q.q, q.villageCode);
  }

  @Get('households/:id')
  @Access({ roles: READER_ROLES })
  getHousehold(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<HouseholdView> {
    return this.holders.getHousehold(p, id);
  }

  /** Register a person (volunteer), optionally as a member of a household. */
  @Post('people')
  @HttpCode(201)
  @Access({ roles: ['admin', 'clerk', 'organizer'] })
  createPerson(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreatePersonDto): Promise<PersonView> {
    return this.holders.createPerson(p, dto);
  }

  /** Find people (volunteers) by name (or id) within the key's scope: the organizer picks who checks in. */
  @Get('people')
  @Access({ roles: READER_ROLES })
  searchPeople(@CurrentPrincipal() p: KeyPrincipal, @Query() q: PersonSearchQuery) {
    return this.holders.searchPeople(p, q.q, q.regionCode);
  }

  @Get('people/:id')
  @Access({ roles: READER_ROLES })
  getPerson(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<PersonView> {
    return this.holders.getPerson(p, id);
  }
}
