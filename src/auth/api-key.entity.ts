import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from './principal';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('varchar') name!: string;
  @Column('varchar') role!: Role;
  @Column('varchar', { name: 'scope_region_code' }) scopeRegionCode!: string;
  @Column('uuid', { name: 'shop_id', nullable: true }) shopId!: string | null;
  @Column('uuid', { name: 'bank_id', nullable: true }) bankId!: string | null;
  @Column('bytea', { name: 'secret_hash' }) secretHash!: Buffer;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
