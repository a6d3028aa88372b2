import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import { CardRotatedView, CreateHouseholdDto, CreatePersonDto, HouseholdSearchQuery, HouseholdsFoundView, HouseholdView, PeopleFoundView, PersonSearchQuery, PersonView, VillageCodeParam } from './holders.dto';
import { HoldersService } from './holders.service';
import { doorCardsPage, householdPageUrl } from './door-card.page';
import { AppConfig } from '../platform/config/app-config';
import { TenancyService } from '../tenancy/tenancy.service';

@ApiTags('holders')
@Controller('v1')
export class HoldersController {
  constructor(
    private readonly holders: HoldersService,
    private readonly tenancy: TenancyService,
    private readonly config: AppConfig,
  ) {}

  /** Enrol a household in a village of the caller's scope. */
  @Post('households')
  @HttpCode(201)
  @Access({ roles: ['admin', 'clerk'] })
  createHousehold(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateHouseholdDto): Promise<HouseholdView> {
    return this.holders.createHousehold(p, dto);
  }

  /** Find households by 户号 (`no`) or by the head's name (`q`, which also takes a 户号 or its sequence) within the caller's scope. */
  @Get('households')
  @Access({ roles: READER_ROLES })
  searchHouseholds(@CurrentPrincipal() p: KeyPrincipal, @Query() q: HouseholdSearchQuery): Promise<HouseholdsFoundView> {
    return this.holders.searchHouseholds(p, q);
  }

  /** A household: number, village, masked head and ID, enrolment day, members, active sanctions. */
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
  searchPeople(@CurrentPrincipal() p: KeyPrincipal, @Query() q: PersonSearchQuery): Promise<PeopleFoundView> {
    return this.holders.searchPeople(p, q.q, q.regionCode);
  }

  /** A person (volunteer or household member): region, masked ID number and phone, enrolment day. */
  @Get('people/:id')
  @Access({ roles: READER_ROLES })
  getPerson(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<PersonView> {
    return this.holders.getPerson(p, id);
  }

  /** The household's door card (A6, printable HTML): village, 户号, the head's masked name, and a QR code of its page. */
  @Get('households/:id/card')
  @ApiResponse({ status: 200, description: 'A printable page.', content: { 'text/html': { schema: { type: 'string' } } } })
  @Access({ roles: ['admin', 'clerk'] })
  @Header('Cache-Control', 'no-store')
  async card(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Res() res: Response) {
    const cards = await this.holders.cards(p, { householdId: id });
    const village = await this.tenancy.findRegion(p.tenantId, cards[0].villageCode);
    res.type('html').send(await doorCardsPage(cards, village?.name ?? cards[0].villageCode, this.config.publicBaseUrl, `户卡 ${cards[0].no}`, false));
  }

  /** A village's door cards on A4 sheets (four a page), in 户号 order, for printing. */
  @Get('villages/:code/cards')
  @ApiResponse({ status: 200, description: 'A printable page.', content: { 'text/html': { schema: { type: 'string' } } } })
  @Access({ roles: ['admin', 'clerk'] })
  @Header('Cache-Control', 'no-store')
  async villageCards(@CurrentPrincipal() p: KeyPrincipal, @Param() params: VillageCodeParam, @Res() res: Response) {
    const cards = await this.holders.cards(p, { villageCode: params.code });
    const village = await this.tenancy.findRegion(p.tenantId, params.code);
    res.type('html').send(await doorCardsPage(cards, village?.name ?? params.code, this.config.publicBaseUrl, `${village?.name ?? params.code} 户卡`, true));
  }

  /** A new card token: the old card's QR code stops working (404). Answers the new card's link. */
  @Post('households/:id/card/rotate')
  @HttpCode(200)
  @Access({ roles: ['admin', 'clerk'] })
  async rotateCard(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<CardRotatedView> {
    const c = await this.holders.rotateCard(p, id);
    return { householdId: c.householdId, no: c.no, url: householdPageUrl(this.config.publicBaseUrl, c.token) };
  }
}
