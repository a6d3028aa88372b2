import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConsoleController } from './console.controller';

@Module({
  imports: [AuthModule],
  controllers: [ConsoleController],
})
export class ConsoleModule {}
