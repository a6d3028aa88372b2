import { IsString, Matches } from 'class-validator';

export class SignInDto {
  @IsString() @Matches(/^jf_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/, { message: '请输入完整的 API 密钥（以 jf_ 开头）' })
  apiKey!: string;
}
