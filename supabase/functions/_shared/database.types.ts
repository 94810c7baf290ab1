
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "accommodations": {
                  Row: {
                    "accommodation_type": Database["public"]['Enums']["accommodation_type"],"address": string | null,"amenities": (string)[],"booking_reference": string | null,"booking_status": Database["public"]['Enums']["booking_status"],"check_in_date": string,"check_out_date": string,"created_at": string,"currency": string,"id": number,"metadata": NonNullable<Json>,"name": string,"price_per_night": number | null,"rating": number | null,"total_price": number,"trip_id": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "accommodation_type"?: Database["public"]['Enums']["accommodation_type"],"address"?: string | null,"amenities"?: (string)[],"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"check_in_date": string,"check_out_date": string,"created_at"?: string,"currency"?: string,"id"?: never,"metadata"?: NonNullable<Json>,"name": string,"price_per_night"?: number | null,"rating"?: number | null,"total_price": number,"trip_id": number,"updated_at"?: string
                  }
                  Update: {
                    "accommodation_type"?: Database["public"]['Enums']["accommodation_type"],"address"?: string | null,"amenities"?: (string)[],"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"check_in_date"?: string,"check_out_date"?: string,"created_at"?: string,"currency"?: string,"id"?: never,"metadata"?: NonNullable<Json>,"name"?: string,"price_per_night"?: number | null,"rating"?: number | null,"total_price"?: number,"trip_id"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "accommodations_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"api_keys": {
                  Row: {
                    "created_at": string,"encrypted_value": string,"encryption_key_id": string | null,"expires_at": string | null,"id": number,"is_active": boolean,"key_name": string,"last_used_at": string | null,"last_validated_at": string | null,"service_name": Database["public"]['Enums']["api_service"],"updated_at": string,"usage_count": number,"user_id": string,"value_mask": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"encrypted_value": string,"encryption_key_id"?: never,"expires_at"?: string | null,"id"?: never,"is_active"?: boolean,"key_name": string,"last_used_at"?: string | null,"last_validated_at"?: string | null,"service_name": Database["public"]['Enums']["api_service"],"updated_at"?: string,"usage_count"?: number,"user_id"?: string,"value_mask"?: string
                  }
                  Update: {
                    "created_at"?: string,"encrypted_value"?: string,"encryption_key_id"?: never,"expires_at"?: string | null,"id"?: never,"is_active"?: boolean,"key_name"?: string,"last_used_at"?: string | null,"last_validated_at"?: string | null,"service_name"?: Database["public"]['Enums']["api_service"],"updated_at"?: string,"usage_count"?: number,"user_id"?: string,"value_mask"?: string
                  }
                  Relationships: [
                    
                  ]
                },"chat_messages": {
                  Row: {
                    "client_message_id": string | null,"content": string,"created_at": string,"finish_reason": string | null,"id": number,"metadata": NonNullable<Json>,"model": string | null,"reply_to": number | null,"role": Database["public"]['Enums']["chat_role"],"session_id": string,"status": Database["public"]['Enums']["chat_message_status"],"usage": Json | null
                  }
                  ComputedFields: never
                  Insert: {
                    "client_message_id"?: string | null,"content": string,"created_at"?: string,"finish_reason"?: string | null,"id"?: never,"metadata"?: NonNullable<Json>,"model"?: string | null,"reply_to"?: number | null,"role": Database["public"]['Enums']["chat_role"],"session_id": string,"status"?: Database["public"]['Enums']["chat_message_status"],"usage"?: Json | null
                  }
                  Update: {
                    "client_message_id"?: string | null,"content"?: string,"created_at"?: string,"finish_reason"?: string | null,"id"?: never,"metadata"?: NonNullable<Json>,"model"?: string | null,"reply_to"?: number | null,"role"?: Database["public"]['Enums']["chat_role"],"session_id"?: string,"status"?: Database["public"]['Enums']["chat_message_status"],"usage"?: Json | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_messages_reply_to_fkey"
      columns: ["reply_to"]
isOneToOne: false
      referencedRelation: "chat_messages"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_messages_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "chat_sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"chat_sessions": {
                  Row: {
                    "created_at": string,"id": string,"is_active": boolean,"last_message_at": string | null,"metadata": NonNullable<Json>,"remember": boolean,"title": string | null,"trip_id": number | null,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"is_active"?: boolean,"last_message_at"?: string | null,"metadata"?: NonNullable<Json>,"remember"?: boolean,"title"?: string | null,"trip_id"?: number | null,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"is_active"?: boolean,"last_message_at"?: string | null,"metadata"?: NonNullable<Json>,"remember"?: boolean,"title"?: string | null,"trip_id"?: number | null,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_sessions_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"file_attachments": {
                  Row: {
                    "created_at": string,"file_name": string,"file_size": number,"id": number,"mime_type": string,"storage_path": string,"trip_id": number,"updated_at": string,"upload_status": Database["public"]['Enums']["upload_status"],"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"file_name": string,"file_size": number,"id"?: never,"mime_type": string,"storage_path": string,"trip_id": number,"updated_at"?: string,"upload_status"?: Database["public"]['Enums']["upload_status"],"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"file_name"?: string,"file_size"?: number,"id"?: never,"mime_type"?: string,"storage_path"?: string,"trip_id"?: number,"updated_at"?: string,"upload_status"?: Database["public"]['Enums']["upload_status"],"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "file_attachments_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"flights": {
                  Row: {
                    "airline": string | null,"arrival_time": string,"booking_reference": string | null,"booking_status": Database["public"]['Enums']["booking_status"],"created_at": string,"currency": string,"departure_time": string,"destination": string,"flight_class": Database["public"]['Enums']["flight_class"],"flight_number": string | null,"id": number,"metadata": NonNullable<Json>,"origin": string,"price": number,"trip_id": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "airline"?: string | null,"arrival_time": string,"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"created_at"?: string,"currency"?: string,"departure_time": string,"destination": string,"flight_class"?: Database["public"]['Enums']["flight_class"],"flight_number"?: string | null,"id"?: never,"metadata"?: NonNullable<Json>,"origin": string,"price": number,"trip_id": number,"updated_at"?: string
                  }
                  Update: {
                    "airline"?: string | null,"arrival_time"?: string,"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"created_at"?: string,"currency"?: string,"departure_time"?: string,"destination"?: string,"flight_class"?: Database["public"]['Enums']["flight_class"],"flight_number"?: string | null,"id"?: never,"metadata"?: NonNullable<Json>,"origin"?: string,"price"?: number,"trip_id"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "flights_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"itinerary_items": {
                  Row: {
                    "booking_status": Database["public"]['Enums']["itinerary_status"],"created_at": string,"currency": string,"description": string | null,"end_time": string | null,"id": number,"item_date": string,"item_type": Database["public"]['Enums']["itinerary_item_type"],"location": string | null,"price": number,"sort_order": number,"start_time": string | null,"title": string,"trip_id": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "booking_status"?: Database["public"]['Enums']["itinerary_status"],"created_at"?: string,"currency"?: string,"description"?: string | null,"end_time"?: string | null,"id"?: never,"item_date": string,"item_type"?: Database["public"]['Enums']["itinerary_item_type"],"location"?: string | null,"price"?: number,"sort_order"?: number,"start_time"?: string | null,"title": string,"trip_id": number,"updated_at"?: string
                  }
                  Update: {
                    "booking_status"?: Database["public"]['Enums']["itinerary_status"],"created_at"?: string,"currency"?: string,"description"?: string | null,"end_time"?: string | null,"id"?: never,"item_date"?: string,"item_type"?: Database["public"]['Enums']["itinerary_item_type"],"location"?: string | null,"price"?: number,"sort_order"?: number,"start_time"?: string | null,"title"?: string,"trip_id"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "itinerary_items_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"memory_embeddings": {
                  Row: {
                    "content_hash": string,"content_text": string,"content_tsv": unknown,"content_type": Database["public"]['Enums']["memory_content_type"],"created_at": string,"deleted_at": string | null,"graph": number,"id": string,"metadata": NonNullable<Json>,"model": string,"source": Database["public"]['Enums']["memory_source"],"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "content_hash": string,"content_text": string,"content_tsv"?: never,"content_type": Database["public"]['Enums']["memory_content_type"],"created_at"?: string,"deleted_at"?: string | null,"graph"?: number,"id"?: string,"metadata"?: NonNullable<Json>,"model"?: string,"source"?: Database["public"]['Enums']["memory_source"],"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "content_hash"?: string,"content_text"?: string,"content_tsv"?: never,"content_type"?: Database["public"]['Enums']["memory_content_type"],"created_at"?: string,"deleted_at"?: string | null,"graph"?: number,"id"?: string,"metadata"?: NonNullable<Json>,"model"?: string,"source"?: Database["public"]['Enums']["memory_source"],"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"memory_history": {
                  Row: {
                    "actor": Database["public"]['Enums']["memory_source"],"created_at": string,"event": Database["public"]['Enums']["memory_event"],"id": number,"memory_id": string,"message_id": number | null,"new_memory": string | null,"old_memory": string | null,"session_id": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "actor": Database["public"]['Enums']["memory_source"],"created_at"?: string,"event": Database["public"]['Enums']["memory_event"],"id"?: never,"memory_id": string,"message_id"?: number | null,"new_memory"?: string | null,"old_memory"?: string | null,"session_id"?: string | null,"user_id": string
                  }
                  Update: {
                    "actor"?: Database["public"]['Enums']["memory_source"],"created_at"?: string,"event"?: Database["public"]['Enums']["memory_event"],"id"?: never,"memory_id"?: string,"message_id"?: number | null,"new_memory"?: string | null,"old_memory"?: string | null,"session_id"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "memory_history_memory_id_fkey"
      columns: ["memory_id"]
isOneToOne: false
      referencedRelation: "memory_embeddings"
      referencedColumns: ["id"]
    }
                  ]
                },"memory_vectors": {
                  Row: {
                    "embedding": unknown,"graph": number,"id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "embedding": unknown,"graph"?: number,"id": string,"user_id"?: string
                  }
                  Update: {
                    "embedding"?: unknown,"graph"?: number,"id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "memory_vectors_id_user_id_graph_fkey"
      columns: ["id","user_id","graph"]
isOneToOne: true
      referencedRelation: "memory_embeddings"
      referencedColumns: ["id","user_id","graph"]
    }
                  ]
                },"price_history": {
                  Row: {
                    "created_at": string,"currency": string,"entity_ref": string,"entity_type": Database["public"]['Enums']["offer_type"],"id": number,"metadata": NonNullable<Json>,"price": number,"timestamp": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"currency"?: string,"entity_ref": string,"entity_type": Database["public"]['Enums']["offer_type"],"id"?: never,"metadata"?: NonNullable<Json>,"price": number,"timestamp"?: string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"currency"?: string,"entity_ref"?: string,"entity_type"?: Database["public"]['Enums']["offer_type"],"id"?: never,"metadata"?: NonNullable<Json>,"price"?: number,"timestamp"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"saved_options": {
                  Row: {
                    "created_at": string,"currency": string | null,"id": number,"notes": string | null,"option_data": NonNullable<Json>,"option_type": Database["public"]['Enums']["offer_type"],"price": number | null,"trip_id": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"currency"?: string | null,"id"?: never,"notes"?: string | null,"option_data": NonNullable<Json>,"option_type": Database["public"]['Enums']["offer_type"],"price"?: number | null,"trip_id": number,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"currency"?: string | null,"id"?: never,"notes"?: string | null,"option_data"?: NonNullable<Json>,"option_type"?: Database["public"]['Enums']["offer_type"],"price"?: number | null,"trip_id"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "saved_options_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"search_history": {
                  Row: {
                    "created_at": string,"id": number,"results_count": number,"search_params": NonNullable<Json>,"search_type": Database["public"]['Enums']["search_type"],"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: never,"results_count"?: number,"search_params": NonNullable<Json>,"search_type": Database["public"]['Enums']["search_type"],"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: never,"results_count"?: number,"search_params"?: NonNullable<Json>,"search_type"?: Database["public"]['Enums']["search_type"],"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"transportation": {
                  Row: {
                    "arrival_time": string | null,"booking_reference": string | null,"booking_status": Database["public"]['Enums']["booking_status"],"created_at": string,"currency": string,"departure_time": string,"destination": string,"id": number,"notes": string | null,"origin": string,"price": number,"provider": string | null,"transport_type": Database["public"]['Enums']["transport_type"],"trip_id": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "arrival_time"?: string | null,"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"created_at"?: string,"currency"?: string,"departure_time": string,"destination": string,"id"?: never,"notes"?: string | null,"origin": string,"price"?: number,"provider"?: string | null,"transport_type": Database["public"]['Enums']["transport_type"],"trip_id": number,"updated_at"?: string
                  }
                  Update: {
                    "arrival_time"?: string | null,"booking_reference"?: string | null,"booking_status"?: Database["public"]['Enums']["booking_status"],"created_at"?: string,"currency"?: string,"departure_time"?: string,"destination"?: string,"id"?: never,"notes"?: string | null,"origin"?: string,"price"?: number,"provider"?: string | null,"transport_type"?: Database["public"]['Enums']["transport_type"],"trip_id"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "transportation_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"trip_collaborators": {
                  Row: {
                    "added_by": string | null,"created_at": string,"id": number,"permission_level": Database["public"]['Enums']["trip_permission_level"],"trip_id": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "added_by"?: string | null,"created_at"?: string,"id"?: never,"permission_level"?: Database["public"]['Enums']["trip_permission_level"],"trip_id": number,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "added_by"?: string | null,"created_at"?: string,"id"?: never,"permission_level"?: Database["public"]['Enums']["trip_permission_level"],"trip_id"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "trip_collaborators_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"trip_comparisons": {
                  Row: {
                    "comparison_json": NonNullable<Json>,"created_at": string,"id": number,"name": string,"trip_id": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "comparison_json": NonNullable<Json>,"created_at"?: string,"id"?: never,"name"?: string,"trip_id": number,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "comparison_json"?: NonNullable<Json>,"created_at"?: string,"id"?: never,"name"?: string,"trip_id"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "trip_comparisons_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"trip_invitations": {
                  Row: {
                    "created_at": string,"email": string,"expires_at": string,"id": number,"invited_by": string,"permission_level": Database["public"]['Enums']["trip_permission_level"],"responded_at": string | null,"status": Database["public"]['Enums']["invitation_status"],"trip_id": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"email": string,"expires_at"?: string,"id"?: never,"invited_by": string,"permission_level"?: Database["public"]['Enums']["trip_permission_level"],"responded_at"?: string | null,"status"?: Database["public"]['Enums']["invitation_status"],"trip_id": number,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"email"?: string,"expires_at"?: string,"id"?: never,"invited_by"?: string,"permission_level"?: Database["public"]['Enums']["trip_permission_level"],"responded_at"?: string | null,"status"?: Database["public"]['Enums']["invitation_status"],"trip_id"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "trip_invitations_invited_by_fkey"
      columns: ["invited_by"]
isOneToOne: false
      referencedRelation: "users"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "trip_invitations_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"trip_notes": {
                  Row: {
                    "content": string,"created_at": string,"id": number,"trip_id": number,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "content": string,"created_at"?: string,"id"?: never,"trip_id": number,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "content"?: string,"created_at"?: string,"id"?: never,"trip_id"?: number,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "trip_notes_trip_id_fkey"
      columns: ["trip_id"]
isOneToOne: false
      referencedRelation: "trips"
      referencedColumns: ["id"]
    }
                  ]
                },"trips": {
                  Row: {
                    "budget": number,"created_at": string,"currency": string,"description": string | null,"destination": string,"end_date": string,"flexibility": Json | null,"id": number,"name": string,"start_date": string,"status": Database["public"]['Enums']["trip_status"],"travelers": number,"trip_type": Database["public"]['Enums']["trip_type"],"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "budget": number,"created_at"?: string,"currency"?: string,"description"?: string | null,"destination": string,"end_date": string,"flexibility"?: Json | null,"id"?: never,"name": string,"start_date": string,"status"?: Database["public"]['Enums']["trip_status"],"travelers"?: number,"trip_type"?: Database["public"]['Enums']["trip_type"],"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "budget"?: number,"created_at"?: string,"currency"?: string,"description"?: string | null,"destination"?: string,"end_date"?: string,"flexibility"?: Json | null,"id"?: never,"name"?: string,"start_date"?: string,"status"?: Database["public"]['Enums']["trip_status"],"travelers"?: number,"trip_type"?: Database["public"]['Enums']["trip_type"],"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"user_preferences": {
                  Row: {
                    "created_at": string,"preferences": NonNullable<Json>,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"preferences"?: NonNullable<Json>,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"preferences"?: NonNullable<Json>,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"users": {
                  Row: {
                    "created_at": string,"email": string,"id": string,"name": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"email": string,"id": string,"name"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"email"?: string,"id"?: string,"name"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            [_ in never]: never
          }
          Functions: {
            "apply_memory_decisions":
{ Args: { "p_context"?: Json,"p_embeddings": (string)[],"p_model": string,"p_ops": Json }; Returns: Json
                           },
"cleanup_old_price_history":
{ Args: { "p_keep"?: string }; Returns: number
                           },
"cleanup_old_search_history":
{ Args: { "p_keep"?: string }; Returns: number
                           },
"create_trip":
{ Args: { "p_trip": Json }; Returns: Json
                           },
"create_trip_child":
{ Args: { "p_body": Json,"p_kind": string,"p_trip_id": number }; Returns: Json
                           },
"daily_cleanup_job":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"delete_trip":
{ Args: { "p_trip_id": number }; Returns: undefined
                           },
"delete_trip_child":
{ Args: { "p_id": number,"p_kind": string,"p_trip_id": number }; Returns: undefined
                           },
"expire_inactive_chat_sessions":
{ Args: { "p_idle"?: string }; Returns: number
                           },
"get_trip":
{ Args: { "p_trip_id": number }; Returns: Json
                           },
"insert_memories":
{ Args: { "p_contents": (string)[],"p_embeddings": (string)[],"p_metadata": (Json)[],"p_model": string,"p_types": (string)[] }; Returns: {
              "content_hash": string,"created": boolean,"id": string
            }[]
                           },
"invite_to_trip":
{ Args: { "p_email": string,"p_permission_level"?: string,"p_trip_id": number }; Returns: Json
                           },
"list_memories":
{ Args: { "p_content_type"?: string,"p_cursor"?: string,"p_limit"?: number,"p_metadata"?: Json }; Returns: Json
                           },
"list_my_invitations":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"list_trip_children":
{ Args: { "p_cursor"?: number,"p_kind": string,"p_limit"?: number,"p_trip_id": number }; Returns: Json
                           },
"list_trip_collaborators":
{ Args: { "p_trip_id": number }; Returns: Json
                           },
"list_trip_invitations":
{ Args: { "p_trip_id": number }; Returns: Json
                           },
"list_trips":
{ Args: { "p_cursor"?: string,"p_destination"?: string,"p_limit"?: number,"p_sort"?: string,"p_start_from"?: string,"p_start_to"?: string,"p_status"?: string,"p_trip_type"?: string }; Returns: Json
                           },
"match_memories":
{ Args: { "p_content_type"?: string,"p_match_count"?: number,"p_metadata"?: Json,"p_min_similarity"?: number,"p_model"?: string,"p_query": string }; Returns: {
              "content": string,"content_type": string,"created_at": string,"id": string,"metadata": Json,"similarity": number
            }[]
                           },
"monthly_cleanup_job":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"remove_trip_collaborator":
{ Args: { "p_trip_id": number,"p_user_id": string }; Returns: undefined
                           },
"respond_to_trip_invitation":
{ Args: { "p_accept": boolean,"p_invitation_id": number }; Returns: Json
                           },
"revoke_trip_invitation":
{ Args: { "p_invitation_id": number,"p_trip_id": number }; Returns: undefined
                           },
"search_memories":
{ Args: { "p_content_type"?: string,"p_match_count"?: number,"p_metadata"?: Json,"p_min_similarity"?: number,"p_mode"?: string,"p_model"?: string,"p_query": string,"p_query_text": string }; Returns: {
              "content": string,"content_type": string,"created_at": string,"id": string,"keyword_rank": number,"metadata": Json,"score": number,"similarity": number
            }[]
                           },
"update_trip":
{ Args: { "p_patch": Json,"p_trip_id": number }; Returns: Json
                           },
"update_trip_child":
{ Args: { "p_id": number,"p_kind": string,"p_patch": Json,"p_trip_id": number }; Returns: Json
                           },
"update_trip_collaborator":
{ Args: { "p_permission_level": string,"p_trip_id": number,"p_user_id": string }; Returns: Json
                           },
"weekly_maintenance_job":
{ Args: Record<PropertyKey, never>; Returns: Json
                           }
          }
          Enums: {
            "accommodation_type": "hotel"|"apartment"|"hostel"|"resort"|"villa"|"guesthouse"|"other","api_service": "openai"|"anthropic"|"google_maps"|"openweathermap"|"duffel","booking_status": "viewed"|"saved"|"booked"|"canceled","chat_message_status": "streaming"|"complete"|"aborted"|"error","chat_role": "user"|"assistant"|"system"|"tool","flight_class": "economy"|"premium_economy"|"business"|"first","invitation_status": "pending"|"accepted"|"declined"|"revoked","itinerary_item_type": "activity"|"meal"|"transport"|"accommodation"|"event"|"free_time"|"other","itinerary_status": "planned"|"booked"|"canceled","memory_content_type": "preference"|"fact"|"trip_context"|"conversation"|"note"|"other","memory_event": "ADD"|"UPDATE"|"DELETE"|"RESTORE","memory_source": "user"|"extractor","offer_type": "flight"|"accommodation"|"transportation"|"activity","search_type": "flight"|"accommodation"|"activity"|"destination"|"transportation","transport_type": "car_rental"|"train"|"bus"|"ferry"|"taxi"|"transfer"|"other","trip_permission_level": "view"|"edit"|"admin","trip_status": "planning"|"booked"|"completed"|"canceled","trip_type": "leisure"|"business"|"family"|"solo"|"other","upload_status": "uploading"|"completed"|"failed"
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            "accommodation_type": ["hotel", "apartment", "hostel", "resort", "villa", "guesthouse", "other"],"api_service": ["openai", "anthropic", "google_maps", "openweathermap", "duffel"],"booking_status": ["viewed", "saved", "booked", "canceled"],"chat_message_status": ["streaming", "complete", "aborted", "error"],"chat_role": ["user", "assistant", "system", "tool"],"flight_class": ["economy", "premium_economy", "business", "first"],"invitation_status": ["pending", "accepted", "declined", "revoked"],"itinerary_item_type": ["activity", "meal", "transport", "accommodation", "event", "free_time", "other"],"itinerary_status": ["planned", "booked", "canceled"],"memory_content_type": ["preference", "fact", "trip_context", "conversation", "note", "other"],"memory_event": ["ADD", "UPDATE", "DELETE", "RESTORE"],"memory_source": ["user", "extractor"],"offer_type": ["flight", "accommodation", "transportation", "activity"],"search_type": ["flight", "accommodation", "activity", "destination", "transportation"],"transport_type": ["car_rental", "train", "bus", "ferry", "taxi", "transfer", "other"],"trip_permission_level": ["view", "edit", "admin"],"trip_status": ["planning", "booked", "completed", "canceled"],"trip_type": ["leisure", "business", "family", "solo", "other"],"upload_status": ["uploading", "completed", "failed"]
          }
        }
} as const
