import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import {
  CreateMenuItemDto, CreateOrderDto, CreateTeamDto, DeliverDto, DispatchDto, ListOrdersQuery, MenuQuery, OrderReasonDto, OrdersReportQuery, RateDto, ServiceSettingsDto,
  MenuView, OverdueRunView, ServiceOrderDetailView, ServiceOrdersPage, ServiceOrdersReportView, ServiceOrderView, TeamsView, TeamView,
} from './service-orders.dto';
import { ServiceOrdersService } from './service-orders.service';

const STATION = ['admin', 'reviewer'] as const;
const TEAM = ['admin', 'organizer'] as const;
const REQUESTER_SIDE = ['admin', 'clerk'] as const;

@ApiTags('service orders')
@Controller('v1')
export class ServiceOrdersController {
  constructor(private readonly orders: ServiceOrdersService) {}

  /** A volunteer team (志愿服务队): members are people living in its region. */
  @Post('teams')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  createTeam(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateTeamDto): Promise<TeamView> {
    return this.orders.createTeam(p, dto);
  }

  /** Volunteer teams in scope. */
  @Get('teams')
  @Access({ roles: READER_ROLES })
  teams(@CurrentPrincipal() p: KeyPrincipal): Promise<TeamsView> {
    return this.orders.listTeams(p);
  }

  /** An item of the service menu (点单目录) for a region; villages inherit their township's and county's. */
  @Post('service-menu')
  @HttpCode(201)
  @Access({ roles: ['admin'] })
  addMenuItem(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateMenuItemDto) {
    return this.orders.addMenuItem(p, dto);
  }

  /** The service menu (点单) of a region. */
  @Get('service-menu')
  @Access({ roles: READER_ROLES })
  menu(@CurrentPrincipal() p: KeyPrincipal, @Query() q: MenuQuery): Promise<MenuView> {
    return this.orders.menuFor(p, q.villageCode);
  }

  /** A region's rating threshold (default 4 stars) and response time (default 48 h), inherited down the tree. */
  @Put('service-settings')
  @Access({ roles: ['admin'] })
  settings(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: ServiceSettingsDto) {
    return this.orders.setSettings(p, dto);
  }

  /** 点单: an order from the menu, entered by a clerk on a villager's behalf. */
  @Post('service-orders')
  @HttpCode(201)
  @Access({ roles: REQUESTER_SIDE })
  create(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateOrderDto): Promise<ServiceOrderView> {
    return this.orders.create(p, dto);
  }

  /** Service orders in scope, by status. */
  @Get('service-orders')
  @Access({ roles: READER_ROLES })
  list(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListOrdersQuery): Promise<ServiceOrdersPage> {
    return this.orders.list(p, q);
  }

  /** A service order with its history. */
  @Get('service-orders/:id')
  @Access({ roles: READER_ROLES })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ServiceOrderDetailView> {
    return this.orders.get(p, id);
  }

  /** 派单 */
  @Post('service-orders/:id/dispatch')
  @HttpCode(200)
  @Access({ roles: STATION })
  dispatch(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: DispatchDto): Promise<ServiceOrderDetailView> {
    return this.orders.dispatch(p, id, dto.teamId);
  }

  /** 接单 */
  @Post('service-orders/:id/accept')
  @HttpCode(200)
  @Access({ roles: TEAM })
  accept(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ServiceOrderDetailView> {
    return this.orders.accept(p, id);
  }

  /** The team cannot take it: back to dispatch. */
  @Post('service-orders/:id/decline')
  @HttpCode(200)
  @Access({ roles: TEAM })
  decline(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: OrderReasonDto): Promise<ServiceOrderDetailView> {
    return this.orders.decline(p, id, dto.reason);
  }

  /** Cancels a service order that has not been delivered. */
  @Post('service-orders/:id/cancel')
  @HttpCode(200)
  @Access({ roles: REQUESTER_SIDE })
  cancel(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: OrderReasonDto): Promise<ServiceOrderDetailView> {
    return this.orders.cancel(p, id, dto.reason);
  }

  /** 送单: each member's hours. */
  @Post('service-orders/:id/deliver')
  @HttpCode(200)
  @Access({ roles: TEAM })
  deliver(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: DeliverDto): Promise<ServiceOrderDetailView> {
    return this.orders.deliver(p, id, dto);
  }

  /** 评单: at or above the region's threshold the hours are verified and credit 益币; below it they go to review. */
  @Post('service-orders/:id/rate')
  @HttpCode(200)
  @Access({ roles: REQUESTER_SIDE })
  rate(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: RateDto): Promise<ServiceOrderDetailView> {
    return this.orders.rate(p, id, dto.stars, dto.comment);
  }

  /** Service orders per month: requested, delivered, rated, overdue. */
  @Get('reports/service-orders')
  @Access({ roles: ['admin', 'auditor', 'reviewer'] })
  report(@CurrentPrincipal() p: KeyPrincipal, @Query() q: OrdersReportQuery): Promise<ServiceOrdersReportView> {
    return this.orders.report(p, q);
  }

  /** Runs the overdue check now for this county (it runs every 10 minutes). */
  @Post('jobs/service-orders-overdue')
  @HttpCode(200)
  @Access({ roles: ['admin'] })
  overdue(@CurrentPrincipal() p: KeyPrincipal): Promise<OverdueRunView> {
    return this.orders.handleOverdue(new Date(), p.tenantId);
  }
}
