import { IsNotEmpty, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { IsBusinessDate, IsOptional } from '../platform/http/validators';
import { PageOf } from '../platform/http/page.dto';

export class CreateHouseholdDto {
  /** 12-digit village code. */
  @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode!: string;

  /** Name of the head of household (户主). */
  @IsString() @IsNotEmpty() @MaxLength(50)
  headName!: string;

  /** 18-character resident ID number; stored encrypted, shown masked. */
  @IsOptional() @IsString() @MaxLength(18)
  headIdNumber?: string;

  @IsOptional() @IsString() @Matches(/^\+?\d{7,15}$/, { message: 'phone must be 7 to 15 digits' })
  phone?: string;

  /** 4 to 6 digits; authorises redemptions. Stored as a slow hash. */
  @IsOptional() @IsString() @Matches(/^\d{4,6}$/, { message: 'pin must be 4 to 6 digits' })
  pin?: string;

  /** The day the household joined the program (default today; never in the future): yearsEnrolled counts from it. */
  @IsOptional() @IsBusinessDate()
  enrolledOn?: string;
}

export class CreatePersonDto {
  @IsString() @IsNotEmpty() @MaxLength(50)
  name!: string;

  @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode!: string;

  @IsOptional() @IsString() @MaxLength(18)
  idNumber?: string;

  @IsOptional() @IsString() @Matches(/^\+?\d{7,15}$/, { message: 'phone must be 7 to 15 digits' })
  phone?: string;

  @IsOptional() @IsUUID('all')
  householdId?: string;

  @IsOptional() @IsString() @Matches(/^\d{4,6}$/, { message: 'pin must be 4 to 6 digits' })
  pin?: string;

  /** The day the person joined the program (default today; never in the future). */
  @IsOptional() @IsBusinessDate()
  enrolledOn?: string;
}

export class PersonView {
  id!: string;
  name!: string;
  regionCode!: string;
  householdId!: string | null;
  idNumber!: string | null;
  phone!: string | null;
  enrolledOn!: string;
}

/** A sanction on a household: benefits suspended while active. */
export class SanctionView {
  id!: string;
  code!: string;
  benefitCodes!: string[];
  status!: string;
  activatedAt!: string;
  reason!: string;
  liftedAt!: string | null;
  liftedReason!: string | null;
}

export class HouseholdView {
  id!: string;
  /** 户号: `<villageCode>-<sequence>`, given at creation, never reused. */
  no!: string;
  villageCode!: string;
  headName!: string;
  headIdNumber!: string | null;
  phone!: string | null;
  /** The day it joined the program. */
  enrolledOn!: string;
  members!: PersonView[];
  /** Active sanctions (惠民政策 suspended). */
  sanctions!: SanctionView[];
}

export class PersonSearchQuery {
  /** Part of the name (or the id). */
  @IsString() @MinLength(1) @MaxLength(50)
  q!: string;

  @IsOptional() @IsString() @Matches(/^(\d{6}|\d{9}|\d{12})$/, { message: 'regionCode must be a region code' })
  regionCode?: string;
}

export class HouseholdSearchQuery {
  /** Part of the head's name, a whole 户号, or its sequence ("23"). */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(50)
  q?: string;

  /** A whole 户号, such as 500154101001-0023. */
  @IsOptional() @IsString() @Matches(/^\d{12}-\d{4,8}$/, { message: 'no must be a household number such as 500154101001-0023' })
  no?: string;

  @IsOptional() @IsString() @Matches(/^\d{12}$/, { message: 'villageCode must be a 12-digit village code' })
  villageCode?: string;
}

export class VillageCodeParam {
  @IsString() @Matches(/^\d{12}$/, { message: 'code must be a 12-digit village code' })
  code!: string;
}

export class HouseholdSummaryView {
  id!: string;
  /** 户号. */
  no!: string;
  villageCode!: string;
  /** In full to the village's clerks, reviewers and admins; masked to others. */
  headName!: string;
}

/** Households found: at most 20. */
export class HouseholdsFoundView extends PageOf(HouseholdSummaryView) {}

export class PersonSummaryView {
  id!: string;
  regionCode!: string;
  name!: string;
}

/** People found: at most 20. */
export class PeopleFoundView extends PageOf(PersonSummaryView) {}

export class CardRotatedView {
  householdId!: string;
  no!: string;
  /** The new card's page; the old one answers 404. */
  url!: string;
}
