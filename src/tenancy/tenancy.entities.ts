import { Column, Entity, PrimaryColumn } from 'typeorm';

export type RegionLevel = 'county' | 'township' | 'village';

@Entity('tenants')
export class TenantEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { name: 'region_code' }) regionCode!: string;
  @Column('varchar') name!: string;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
}

@Entity('regions')
export class RegionEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' }) tenantId!: string;
  @PrimaryColumn('varchar') code!: string;
  @Column('varchar') name!: string;
  @Column('varchar') level!: RegionLevel;
  @Column('varchar', { name: 'parent_code', nullable: true }) parentCode!: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
}
