import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import { READER_ROLES, type KeyPrincipal } from '../auth/principal';
import { IdParam } from '../platform/http/validation';
import {
  ActivitiesPage,
  ActivityView,
  AttendanceDto,
  AttendanceView,
  CheckInDto,
  CheckInsView,
  CheckInView,
  CheckOutView,
  CreateActivityDto,
  ListActivitiesQuery,
  ListServiceRecordsQuery,
  ServiceRecordsPage,
  ServiceSummaryView,
  ServiceVerifiedView,
} from './volunteering.dto';
import { VolunteeringService } from './volunteering.service';

@ApiTags('volunteering')
@Controller('v1')
export class VolunteeringController {
  constructor(private readonly volunteering: VolunteeringService) {}

  /** Propose an activity for the library (活动库). */
  @Post('activities')
  @HttpCode(201)
  @Access({ roles: ['admin', 'organizer'] })
  propose(@CurrentPrincipal() p: KeyPrincipal, @Body() dto: CreateActivityDto): Promise<ActivityView> {
    return this.volunteering.propose(p, dto);
  }

  /** The activity library and proposals in the key's scope (?status=proposed|listed&regionCode=). */
  @Get('activities')
  @Access({ roles: READER_ROLES })
  list(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListActivitiesQuery): Promise<ActivitiesPage> {
    return this.volunteering.list(p, q);
  }

  /** An activity with its schedule, limits and (for staff) its sign-in code. */
  @Get('activities/:id')
  @Access({ roles: READER_ROLES })
  get(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ActivityView> {
    return this.volunteering.get(p, id);
  }

  /** Service records in scope; ?status=submitted is the verification queue. */
  @Get('service-records')
  @Access({ roles: ['admin', 'auditor', 'reviewer', 'organizer'] })
  listServiceRecords(@CurrentPrincipal() p: KeyPrincipal, @Query() q: ListServiceRecordsQuery): Promise<ServiceRecordsPage> {
    return this.volunteering.listServiceRecords(p, q);
  }

  /** List it in the library, with a sign-in code. */
  @Post('activities/:id/approve')
  @HttpCode(200)
  @Access({ roles: ['admin', 'reviewer'] })
  approve(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ActivityView> {
    return this.volunteering.approve(p, id);
  }

  /** A volunteer checks in on the organizer's phone with the activity's code, during the activity (±30 min); the time is the server's. */
  @Post('activities/:id/check-ins')
  @HttpCode(201)
  @Access({ roles: ['admin', 'organizer'] })
  checkIn(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: CheckInDto): Promise<CheckInView> {
    return this.volunteering.checkIn(p, id, dto);
  }

  /** The same volunteer checks out; signed hours are at most the span between the two. */
  @Post('activities/:id/check-outs')
  @HttpCode(201)
  @Access({ roles: ['admin', 'organizer'] })
  checkOut(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: CheckInDto): Promise<CheckOutView> {
    return this.volunteering.checkOut(p, id, dto);
  }

  /** Who checked in and out of the activity, with each span in hours. */
  @Get('activities/:id/check-ins')
  @Access({ roles: READER_ROLES })
  checkIns(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<CheckInsView> {
    return this.volunteering.checkIns(p, id);
  }

  /** Attendance and hours → service records (submitted). */
  @Post('activities/:id/attendance')
  @HttpCode(201)
  @Access({ roles: ['admin', 'organizer'] })
  attendance(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string, @Body() dto: AttendanceDto): Promise<AttendanceView> {
    return this.volunteering.attendance(p, id, dto);
  }

  /** Verify: signed hours credit 益币; backfilled hours only count. */
  @Post('service-records/:id/verify')
  @HttpCode(200)
  @Access({ roles: ['admin', 'reviewer', 'organizer'] })
  verify(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ServiceVerifiedView> {
    return this.volunteering.verify(p, id);
  }

  /** Verified hours and star level (1–5 stars at 100/300/600/1000/1500 hours). */
  @Get('people/:id/service')
  @Access({ roles: READER_ROLES })
  summary(@CurrentPrincipal() p: KeyPrincipal, @Param('id', IdParam) id: string): Promise<ServiceSummaryView> {
    return this.volunteering.summary(p, id);
  }
}
